/**
 * Reverse-mode differentiation over the graph of {@link GradNode}s that ops record, and
 * the no-grad switch that stops them recording.
 *
 * @module
 */

import { ShapeError, UsageError } from "./errors.ts";
import { type InputGrads, Tensor } from "./tensor.ts";

let recording = true;

/** Whether ops currently record the graph for `backward()`. */
export function isGradEnabled(): boolean {
  return recording;
}

/**
 * Runs `fn` without recording the graph (like `torch.no_grad()`); `fn` must be synchronous.
 * @example
 * ```ts
 * import { createCpuBackend, noGrad, relu, tensor } from "../mod.ts";
 * const x = tensor(createCpuBackend(), [-1, 2], [2], true);
 * console.log(noGrad(() => relu(x)).requiresGrad); // false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const before = recording;
  recording = false;
  try {
    return fn();
  } finally {
    recording = before;
  }
}

/**
 * Back-propagates from `root` (a single-element tensor unless `seed` is given). Leaves
 * with a `gradStorage` accumulate into it (parameters); other leaves that require a
 * gradient get `grad` set or accumulated, like PyTorch's `.grad`.
 *
 * `onGradReady` hears of each leaf as soon as its gradient is final, while earlier layers
 * still run backward: a data-parallel step starts reducing the last layers' gradients
 * there (PyTorch DDP's autograd hooks).
 *
 * With `gradsCleared`, every `gradStorage` is known to hold zeros (the optimizer's
 * `zeroGrad` just ran), so each leaf's gradient is copied there rather than added: PyTorch
 * assigns a fresh `.grad` the same way, and a copy needs no kernel.
 *
 * Throws a `UsageError` when the graph holds an op that waits on other ranks
 * (SyncBatchNorm); {@link backwardAsync} runs those.
 */
export function backward(
  root: Tensor,
  seed?: Tensor,
  onGradReady?: (leaf: Tensor) => void,
  gradsCleared = false,
): void {
  const pass = backwardPass(root, seed, onGradReady, gradsCleared);
  const first = noGrad(() => pass.next());
  if (first.done) return;
  first.value.grads.catch(() => {}); // already under way; nothing waits for it
  throw new UsageError(
    "backward",
    `op ${first.value.op} waits on other ranks (SyncBatchNorm): call backwardAsync`,
  );
}

/** {@link backward} for graphs whose ops may wait on other ranks mid-way (SyncBatchNorm). */
export async function backwardAsync(
  root: Tensor,
  seed?: Tensor,
  onGradReady?: (leaf: Tensor) => void,
  gradsCleared = false,
): Promise<void> {
  const pass = backwardPass(root, seed, onGradReady, gradsCleared);
  let next = noGrad(() => pass.next());
  while (!next.done) {
    const grads = await next.value.grads;
    next = noGrad(() => pass.next(grads));
  }
}

/** An op's input gradients still to come, and the op's name for messages. */
interface PendingGrads {
  readonly op: string;
  readonly grads: Promise<InputGrads>;
}

/**
 * The backward pass as a generator: it yields each op's promised input gradients (an op
 * that waits on other ranks) and resumes with them, so one loop serves both drivers.
 */
function* backwardPass(
  root: Tensor,
  seed: Tensor | undefined,
  onGradReady: ((leaf: Tensor) => void) | undefined,
  gradsCleared: boolean,
): Generator<PendingGrads, void, InputGrads> {
  if (!seed && root.size !== 1) {
    throw new ShapeError("backward", `root must have one element, got shape [${root.shape}]`);
  }
  const b = root.backend;
  const order = topologicalOrder(root);
  const grads = new Map<Tensor, Tensor>();
  grads.set(root, seed ?? onesLike(root));
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const g = grads.get(t);
    if (!g) continue;
    if (!t.node) {
      // Every consumer of a leaf comes after it in `order`: its gradient is complete, and
      // this is the pass's only write to it.
      if (t.gradStorage && gradsCleared) b.copy(t.gradStorage, g.storage);
      else if (t.gradStorage) b.axpy(t.gradStorage, g.storage, 1);
      else t.grad = t.grad ? sum2(t.grad, g) : g;
      onGradReady?.(t);
      continue;
    }
    const result = t.node.backward(g);
    const inputGrads = result instanceof Promise ? yield { op: t.node.op, grads: result } : result;
    t.node.inputs.forEach((input, k) => {
      const gi = inputGrads[k];
      if (!gi || !input?.requiresGrad) return;
      const prev = grads.get(input);
      grads.set(input, prev ? sum2(prev, gi) : gi);
    });
  }
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: deep MLP graphs must not overflow the call stack.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, next] = top;
    const inputs = t.node?.inputs ?? [];
    if (next < inputs.length) {
      top[1]++;
      const child = inputs[next];
      if (child?.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order;
}

// The seed is uploaded rather than computed from t: no dispatch, and 1 even where t is NaN.
function onesLike(t: Tensor): Tensor {
  const b = t.backend;
  return new Tensor(b, b.upload(new Float32Array(t.size).fill(1)), t.shape);
}

function sum2(a: Tensor, g: Tensor): Tensor {
  const b = a.backend;
  const storage = b.binary({
    op: "add",
    a: a.storage,
    aShape: a.shape,
    b: g.storage,
    bShape: g.shape,
    outShape: a.shape,
  });
  return new Tensor(b, storage, a.shape);
}
