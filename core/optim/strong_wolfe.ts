/**
 * The strong-Wolfe line search of PyTorch's L-BFGS (`torch.optim.lbfgs._strong_wolfe`,
 * after minFunc): bracketing, then zooming with cubic interpolation. It only sees the
 * loss, the directional derivative and an opaque gradient handle at each trial step, so
 * the vectors stay wherever the caller keeps them.
 *
 * @module
 */

/** The objective at one trial step `t` along the search direction. */
export interface LinePoint<G> {
  /** Loss. */
  f: number;
  /** Gradient (opaque to the search, returned for the chosen step). */
  g: G;
  /** Directional derivative gᵀd. */
  gtd: number;
}

/** Constants of the search (PyTorch's defaults). */
export interface StrongWolfeOptions {
  c1?: number;
  c2?: number;
  toleranceChange?: number;
  maxLs?: number;
}

/** The chosen step and what the objective was there. */
export interface LineSearchResult<G> {
  f: number;
  g: G;
  t: number;
  /** Objective evaluations made. */
  evals: number;
}

/** Minimiser of the cubic through two points with values and slopes, within `bounds`. */
export function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: readonly [number, number],
): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square < 0) return (lo + hi) / 2;
  const d2 = Math.sqrt(d2Square);
  const minPos = x1 <= x2
    ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return Math.min(Math.max(minPos, lo), hi);
}

/**
 * Searches along a descent direction from the point with loss `f`, gradient `g` and
 * directional derivative `gtd`, starting with step `t`; `dNorm` is max |d|.
 */
export async function strongWolfe<G>(
  evaluate: (t: number) => Promise<LinePoint<G>>,
  t: number,
  f: number,
  g: G,
  gtd: number,
  dNorm: number,
  options: StrongWolfeOptions = {},
): Promise<LineSearchResult<G>> {
  const { c1 = 1e-4, c2 = 0.9, toleranceChange = 1e-9, maxLs = 25 } = options;
  let next = await evaluate(t);
  let evals = 1;
  let prev: LinePoint<G> = { f, g, gtd };
  let tPrev = 0;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let points: LinePoint<G>[] = [];
  while (lsIter < maxLs) {
    if (next.f > f + c1 * t * gtd || (lsIter > 1 && next.f >= prev.f)) {
      [bracket, points] = [[tPrev, t], [prev, next]];
      break;
    }
    if (Math.abs(next.gtd) <= -c2 * gtd) {
      [bracket, points, done] = [[t], [next], true];
      break;
    }
    if (next.gtd >= 0) {
      [bracket, points] = [[tPrev, t], [prev, next]];
      break;
    }
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, prev.f, prev.gtd, t, next.f, next.gtd, [minStep, maxStep]);
    tPrev = tmp;
    prev = next;
    next = await evaluate(t);
    evals++;
    lsIter++;
  }
  if (lsIter === maxLs) [bracket, points] = [[0, t], [{ f, g, gtd }, next]];

  // Zoom: shrink the bracket until a point meets the strong Wolfe conditions.
  let insufficientProgress = false;
  let [low, high] = points[0].f <= points[points.length - 1].f ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
    t = cubicInterpolate(
      bracket[0],
      points[0].f,
      points[0].gtd,
      bracket[1],
      points[1].f,
      points[1].gtd,
    );
    const top = Math.max(...bracket), bottom = Math.min(...bracket);
    const eps = 0.1 * (top - bottom);
    if (Math.min(top - t, t - bottom) < eps) {
      if (insufficientProgress || t >= top || t <= bottom) {
        t = Math.abs(t - top) < Math.abs(t - bottom) ? top - eps : bottom + eps;
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }
    next = await evaluate(t);
    evals++;
    lsIter++;
    if (next.f > f + c1 * t * gtd || next.f >= points[low].f) {
      bracket[high] = t;
      points[high] = next;
      [low, high] = points[0].f <= points[1].f ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(next.gtd) <= -c2 * gtd) {
        done = true;
      } else if (next.gtd * (bracket[high] - bracket[low]) >= 0) {
        bracket[high] = bracket[low];
        points[high] = points[low];
      }
      bracket[low] = t;
      points[low] = next;
    }
  }
  return { f: points[low].f, g: points[low].g, t: bracket[low], evals };
}
