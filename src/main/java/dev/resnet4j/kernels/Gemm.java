package dev.resnet4j.kernels;

/**
 * Single-precision matrix multiply on row-major arrays: {@code C = op(A) * op(B) (+ C)}.
 *
 * <p>{@code op(A)} is M×K, {@code op(B)} is K×N, C is M×N. With {@code transA}, A is stored
 * K×M (leading dimension lda ≥ M); without, M×K (lda ≥ K). Likewise for B. This is the one
 * entry point the convolution and linear layers use; the fast implementation may change
 * behind it, {@link #reference} stays as the scalar definition that tests compare against.
 */
public final class Gemm {
    private Gemm() {
    }

    /** C = op(A)·op(B), or C += op(A)·op(B) when {@code accumulate}. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                             float[] a, int aOff, int lda,
                             float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
        if (m == 0 || n == 0 || k == 0) {
            return;
        }
        if (!transB) {
            // i-p-j order: the inner loop streams a row of B and a row of C (vectorisable).
            for (int i = 0; i < m; i++) {
                int cRow = cOff + i * ldc;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    if (av == 0f) {
                        continue;
                    }
                    int bRow = bOff + p * ldb;
                    for (int j = 0; j < n; j++) {
                        c[cRow + j] += av * b[bRow + j];
                    }
                }
            }
        } else {
            for (int i = 0; i < m; i++) {
                int cRow = cOff + i * ldc;
                for (int j = 0; j < n; j++) {
                    int bRow = bOff + j * ldb;
                    float s = 0f;
                    for (int p = 0; p < k; p++) {
                        float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                        s += av * b[bRow + p];
                    }
                    c[cRow + j] += s;
                }
            }
        }
    }

    /** Scalar definition (double accumulation) used by tests as ground truth. */
    public static void reference(boolean transA, boolean transB, int m, int n, int k,
                                 float[] a, int aOff, int lda,
                                 float[] b, int bOff, int ldb,
                                 float[] c, int cOff, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c[cOff + i * ldc + j] : 0.0;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += (double) av * bv;
                }
                c[cOff + i * ldc + j] = (float) s;
            }
        }
    }
}
