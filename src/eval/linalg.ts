/**
 * Dense symmetric linear algebra in float64, for FID: the eigendecomposition of a symmetric matrix
 * (cyclic Jacobi rotations) and the square root of a positive semi-definite one. Matrices are
 * `Float64Array`s of `n × n` values, row-major. Plain TypeScript, no tf.js: float32 is not enough
 * for a difference of traces that nearly cancel.
 *
 * @module
 */

/**
 * The eigendecomposition of a symmetric matrix: `A = V · diag(values) · Vᵀ`.
 *
 * @example
 * ```ts
 * import { symmetricEigen, type SymmetricEigen } from "@gan/mnist";
 *
 * const eigen: SymmetricEigen = symmetricEigen(new Float64Array([2, 0, 0, 3]), 2);
 * console.log(eigen.values); // [3, 2]
 * ```
 */
export interface SymmetricEigen {
  /** The eigenvalues, largest first. */
  values: Float64Array;
  /** The eigenvectors as the columns of an `n × n` row-major matrix, in the order of `values`. */
  vectors: Float64Array;
}

function checkSquare(where: string, matrix: Float64Array, n: number): void {
  if (!Number.isInteger(n) || n < 1 || matrix.length !== n * n) {
    throw new RangeError(`${where}: expected ${n}×${n} = ${n * n} values, got ${matrix.length}`);
  }
  for (let i = 0; i < matrix.length; i++) {
    if (!Number.isFinite(matrix[i])) {
      throw new RangeError(`${where}: the matrix holds NaN or infinite values (at ${i})`);
    }
  }
}

/**
 * Eigenvalues and eigenvectors of a symmetric matrix by the cyclic Jacobi method: rotations that
 * zero one off-diagonal pair at a time, swept over all pairs until the off-diagonal part is
 * negligible. Accurate to a few ulps of the largest eigenvalue, also for tiny or zero ones.
 *
 * @param matrix A symmetric `n × n` matrix (only its upper triangle is read).
 * @param n Its size.
 * @returns The eigenvalues (largest first) and the eigenvectors.
 * @throws {RangeError} If the size is wrong or a value is not finite.
 *
 * @example The eigenvalues of [[2, 1], [1, 2]]
 * ```ts
 * import { symmetricEigen } from "@gan/mnist";
 *
 * const { values, vectors } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2);
 * console.log(values, vectors); // [3, 1], columns ±(1, 1)/√2 and ±(1, −1)/√2
 * ```
 */
export function symmetricEigen(matrix: Float64Array, n: number): SymmetricEigen {
  checkSquare("symmetricEigen", matrix, n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = matrix[i * n + j];
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i] * a[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) off += 2 * a[p * n + q] * a[p * n + q];
    }
    if (off <= 1e-30 * total) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        // The rotation angle that zeroes a[p][q]; t = tan(angle), the smaller root, for stability.
        const theta = (aqq - app) / (2 * apq);
        const t = Math.abs(theta) > 1e150
          ? 1 / (2 * theta)
          : Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J: columns p and q, then rows p and q.
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = a[q * n + p] = 0;
        // V ← V J
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    for (let k = 0; k < n; k++) vectors[k * n + to] = v[k * n + from];
  });
  return { values, vectors };
}

/**
 * The product of two `n × n` matrices.
 *
 * @param a The left matrix.
 * @param b The right matrix.
 * @param n Their size.
 * @returns `a · b`.
 */
export function matMul64(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j];
    }
  }
  return out;
}

/**
 * The square root of a symmetric positive semi-definite matrix: `V · diag(√λ) · Vᵀ` from its
 * eigendecomposition. Eigenvalues that rounding made slightly negative count as zero.
 *
 * @param matrix A symmetric PSD `n × n` matrix.
 * @param n Its size.
 * @returns The symmetric PSD `R` with `R · R = matrix`.
 *
 * @example The square root of diag(4, 9)
 * ```ts
 * import { sqrtmSymmetric } from "@gan/mnist";
 *
 * console.log(sqrtmSymmetric(new Float64Array([4, 0, 0, 9]), 2)); // [2, 0, 0, 3]
 * ```
 */
export function sqrtmSymmetric(matrix: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, n);
  const out = new Float64Array(n * n);
  for (let e = 0; e < n; e++) {
    const root = Math.sqrt(Math.max(values[e], 0));
    if (root === 0) continue;
    for (let i = 0; i < n; i++) {
      const vi = vectors[i * n + e] * root;
      if (vi === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += vi * vectors[j * n + e];
    }
  }
  return out;
}

/**
 * `tr(√(√A · B · √A))` for symmetric PSD `A` and `B`: the cross term of the Fréchet distance,
 * equal to `tr(√(A·B))` (the eigenvalues of `A·B` and `√A·B·√A` are the same), computed through
 * symmetric matrices only.
 *
 * @param a A symmetric PSD `n × n` matrix.
 * @param b A symmetric PSD `n × n` matrix.
 * @param n Their size.
 * @returns The trace.
 */
export function traceSqrtProduct(a: Float64Array, b: Float64Array, n: number): number {
  const rootA = sqrtmSymmetric(a, n);
  const middle = matMul64(matMul64(rootA, b, n), rootA, n);
  // Symmetric in exact arithmetic; make it so in floating point before the eigensolver.
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      middle[i * n + j] = middle[j * n + i] = (middle[i * n + j] + middle[j * n + i]) / 2;
    }
  }
  const { values } = symmetricEigen(middle, n);
  let trace = 0;
  for (const value of values) trace += Math.sqrt(Math.max(value, 0));
  return trace;
}
