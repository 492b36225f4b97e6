// Functions that the activations of the elementwise table need and WGSL lacks (erf,
// log1p, expm1), each written to stay accurate in f32 where the naive formula cancels.

// 1 / (1 + e^(−x)): exp overflows to inf only where the result is below f32's smallest
// normal, so 0 is right there.
fn sigmoid_f32(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

// log(1 + v) for v in [0, 1] as 2·atanh(s) with s = v / (2 + v) ≤ 1/3: the series
// 2s·(1 + s²/3 + s⁴/5 + …) stops after s¹⁴/15 (next term < 2e-9 relative), and unlike
// log(1 + v) it keeps full precision as v → 0.
fn log1p_unit(v: f32) -> f32 {
  let s = v / (2.0 + v);
  let w = s * s;
  var r = 1.0 / 15.0;
  r = r * w + 1.0 / 13.0;
  r = r * w + 1.0 / 11.0;
  r = r * w + 1.0 / 9.0;
  r = r * w + 1.0 / 7.0;
  r = r * w + 1.0 / 5.0;
  r = r * w + 1.0 / 3.0;
  r = r * w + 1.0;
  return 2.0 * s * r;
}

// log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)): no overflow, no cancellation.
fn softplus_f32(x: f32) -> f32 {
  return max(x, 0.0) + log1p_unit(exp(-abs(x)));
}

// eˣ − 1: Taylor series to x⁸/8! for |x| < 1/4 (truncation < 5e-11 relative), where
// exp(x) − 1 would cancel; exp(x) − 1 elsewhere.
fn expm1_f32(x: f32) -> f32 {
  if (abs(x) >= 0.25) {
    return exp(x) - 1.0;
  }
  var r = 1.0 / 40320.0;
  r = r * x + 1.0 / 5040.0;
  r = r * x + 1.0 / 720.0;
  r = r * x + 1.0 / 120.0;
  r = r * x + 1.0 / 24.0;
  r = r * x + 1.0 / 6.0;
  r = r * x + 0.5;
  r = r * x + 1.0;
  return r * x;
}

// tanh(softplus(x)) = n / (n + 2) with n = eˣ(eˣ + 2): exact algebra that keeps full
// relative precision for x ≪ 0. Above x = 20 the result rounds to 1, so x is clamped
// there to keep n finite.
fn tanh_softplus(x: f32) -> f32 {
  let w = exp(min(x, 20.0));
  let n = w * (w + 2.0);
  return n / (n + 2.0);
}

// 1 − tanh²(softplus(x)) = 4(n + 1) / (n + 2)², without cancelling 1 − t² near t = 1.
// Above x = 20 it is below 2e-17 and taken as 0, so that Mish's gradient at +∞ is
// ∞ · 0 = NaN, as torch's.
fn tanh_softplus_complement(x: f32) -> f32 {
  let w = exp(min(x, 20.0));
  let n = w * (w + 2.0);
  let d = n + 2.0;
  return select(4.0 * (n + 1.0) / (d * d), 0.0, x > 20.0);
}

// d/dx of GELU's tanh form 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + κx³), κ = 0.044715. With
// s = σ(2u): 1 + tanh(u) = 2s and 1 − tanh²(u) = 4s·σ(−2u), neither of which cancels.
fn gelu_tanh_slope(x: f32) -> f32 {
  let u2 = 1.5957691216057308 * (x + 0.044715 * x * x * x);
  let s = sigmoid_f32(u2);
  let du = 0.7978845608028654 * (1.0 + 0.134145 * x * x);
  return s + 2.0 * x * s * sigmoid_f32(-u2) * du;
}

// The erf and erfc below are least-squares polynomial fits to float64 erf on Chebyshev
// nodes, in three ranges split at ERF_SPLIT and 4. Measured in float32 arithmetic:
// erf within 1 ULP (6e-8) below ERF_SPLIT and 6e-8 absolute above it; erfc within 3e-6
// relative to its value up to 4 and 8e-6 beyond (the rounding of t² in e^(−t²)).
const ERF_SPLIT = 0.921875;

// erf(x) for |x| < ERF_SPLIT: x + x·P(x²), P of degree 6 (fit error 4e-10).
fn erf_small(x: f32) -> f32 {
  let s = x * x;
  var r = 8.438768367e-05;
  r = r * s - 8.160783807e-04;
  r = r * s + 5.202835681e-03;
  r = r * s - 2.686024116e-02;
  r = r * s + 1.128371385e-01;
  r = r * s - 3.761263530e-01;
  r = r * s + 1.283791669e-01;
  return x + x * r;
}

// erfc(t) for t ≥ ERF_SPLIT: e^(h(t) − t²) with h(t) = log erfc(t) + t² a degree-8
// polynomial in t up to 4 (fit error 1.3e-8); beyond, e^(k(1/t²) − t²) / (t·√π) with k a
// degree-4 polynomial in 1/t² (the asymptotic form of erfc).
fn erfc_tail(t: f32) -> f32 {
  let t2 = t * t;
  if (t < 4.0) {
    var h = 1.613101903e-06;
    h = h * t - 4.557118477e-05;
    h = h * t + 5.926017201e-04;
    h = h * t - 4.739417689e-03;
    h = h * t + 2.636238021e-02;
    h = h * t - 1.099740465e-01;
    h = h * t + 3.680583642e-01;
    h = h * t - 1.130163978e+00;
    h = h * t + 3.025417994e-04;
    return exp(h - t2);
  }
  let w = 1.0 / t2;
  var k = 2.739710106e+00;
  k = k * w - 1.385558904e+00;
  k = k * w + 6.205518537e-01;
  k = k * w - 4.999404102e-01;
  k = k * w - 2.895813116e-07;
  return exp(k - t2) / (t * 1.7724538509055159);
}

// erfc(x) = 1 − erf(x) for any x, accurate relative to its value for x > 0.
fn erfc_f32(x: f32) -> f32 {
  let t = abs(x);
  let r = select(erfc_tail(t), 1.0 - erf_small(t), t < ERF_SPLIT);
  return select(r, 2.0 - r, x < 0.0);
}

// Φ(x), the standard normal distribution function: ½·erfc(−x/√2).
fn normal_cdf(x: f32) -> f32 {
  return 0.5 * erfc_f32(-x * 0.70710678118654752);
}

// φ(x), the standard normal density.
fn normal_pdf(x: f32) -> f32 {
  return 0.39894228040143268 * exp(-0.5 * x * x);
}
