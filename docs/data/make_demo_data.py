#!/usr/bin/env python3
"""Writes the made-up housing data of the README's regression examples: demo_prices.csv
(size in m², rooms, age in years → price in k€) and the same samples as NumPy files,
demo_x.npy (float64 [300, 3]) and demo_y.npy (float32 [300, 2]: price and monthly rent in €).

    /usr/bin/python3 docs/data/make_demo_data.py
"""

import os

import numpy as np

rng = np.random.default_rng(0)
n = 300
size = rng.uniform(30, 200, n).round(1)
rooms = rng.integers(1, 7, n)
age = rng.integers(0, 61, n)
price = (20 + 2.5 * size + 8 * rooms - 0.6 * age + rng.normal(0, 10, n)).round(2)
rent = (3.5 * price + rng.normal(0, 40, n)).round(1)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "demo_prices.csv"), "w") as f:
    f.write("size,rooms,age,price\n")
    for row in zip(size, rooms, age, price):
        f.write(",".join(str(v) for v in row) + "\n")
np.save(os.path.join(here, "demo_x.npy"), np.stack([size, rooms, age], axis=1).astype(np.float64))
np.save(os.path.join(here, "demo_y.npy"), np.stack([price, rent], axis=1).astype(np.float32))
print(f"wrote {n} samples to {here}")
