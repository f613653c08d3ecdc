// Dense Cholesky factorisation and triangular inverse for the library classifier's preconditioner
// (softmax-regression.ts): d × d with d up to about a thousand, a fraction of a second in plain
// JavaScript on row-major arrays (every inner loop runs over contiguous memory).
//
// Written here because the only dense linear-algebra package in the dependencies (ml-matrix) works
// element by element through accessors: its Cholesky of a 1,024 × 1,024 matrix measured 5 s here,
// and this one well under a second; the numbers are the textbook algorithms (Golub & Van Loan,
// Alg. 4.2.1 and forward substitution), tested against reconstructions in test/classifier.test.ts.

/**
 * The lower-triangular L with L·Lᵀ = A, for a symmetric positive definite A (row-major d × d; only
 * its lower triangle is read). Throws when A is not positive definite to working precision.
 */
export function cholesky(a: Float64Array, d: number): Float64Array {
  if (a.length !== d * d) throw new RangeError('cholesky: matrix is not d × d');
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const ri = i * d;
    for (let j = 0; j <= i; j++) {
      const rj = j * d;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= l[ri + k] * l[rj + k];
      if (j === i) {
        if (!(s > 0)) throw new RangeError(`cholesky: not positive definite (pivot ${i} is ${s})`);
        l[ri + i] = Math.sqrt(s);
      } else l[ri + j] = s / l[rj + j];
    }
  }
  return l;
}

/** The inverse of a lower-triangular L (row-major d × d), itself lower-triangular. */
export function invertLower(l: Float64Array, d: number): Float64Array {
  if (l.length !== d * d) throw new RangeError('invertLower: matrix is not d × d');
  // Row i of L⁻¹ solves  Σ_k L[i][k]·X[k][j] = δ_ij: X[i][·] = (e_i − Σ_{k<i} L[i][k]·X[k][·]) / L[i][i],
  // each step an update of a contiguous row by earlier rows.
  const x = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const ri = i * d;
    x[ri + i] = 1;
    for (let k = 0; k < i; k++) {
      const c = l[ri + k];
      if (c === 0) continue;
      const rk = k * d;
      for (let j = 0; j <= k; j++) x[ri + j] -= c * x[rk + j];
    }
    const inv = 1 / l[ri + i];
    for (let j = 0; j <= i; j++) x[ri + j] *= inv;
  }
  return x;
}
