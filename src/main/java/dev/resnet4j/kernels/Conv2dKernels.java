package dev.resnet4j.kernels;

/**
 * Convolution as GEMM, for one image in CHW layout: {@link #im2col} unfolds the receptive
 * fields into a matrix so a convolution becomes {@code W[OC, C·kh·kw] × col[C·kh·kw, OH·OW]},
 * and {@link #col2im} is its adjoint (scatter-add), used for the input gradient.
 *
 * <p>Both work row by row of the column matrix: for a fixed (channel, ki, kj) and output row,
 * the valid output columns form one contiguous range, so the inner loop has no bounds tests
 * and, at stride 1, is a plain array copy. A 1×1, stride-1, unpadded convolution needs no
 * im2col at all: the input already is the column matrix ({@link #isPointwise}). The
 * convolution itself (per-image and batched GEMMs, backward) is {@link Convolution}.
 */
public final class Conv2dKernels {
    private Conv2dKernels() {
    }

    /**
     * Output extent of a convolution along one axis: ⌊(in + 2·pad − kernel) / stride⌋ + 1, the
     * quotient rounded down as PyTorch rounds it (not toward zero), so ≤ 0 where it refuses.
     */
    public static int outSize(int in, int kernel, int stride, int pad) {
        return Math.floorDiv(in + 2 * pad - kernel, stride) + 1;
    }

    /** True when im2col would copy the input unchanged (1×1 kernel, stride 1, no padding). */
    public static boolean isPointwise(int kh, int kw, int stride, int pad) {
        return kh == 1 && kw == 1 && stride == 1 && pad == 0;
    }

    /**
     * Unfolds x[C, H, W] (at xOff) into col[C·kh·kw, OH·OW] (at colOff, row-major): row
     * (c·kh + i)·kw + j, column oh·OW + ow holds x[c, oh·stride − pad + i, ow·stride − pad + j],
     * or 0 where that falls in the padding.
     */
    public static void im2col(float[] x, int xOff, int C, int H, int W, int kh, int kw,
                              int stride, int pad, float[] col, int colOff) {
        int oh = outSize(H, kh, stride, pad);
        int ow = outSize(W, kw, stride, pad);
        int row = colOff;
        for (int c = 0; c < C; c++) {
            int xc = xOff + c * H * W;
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++, row += oh * ow) {
                    int lo = Math.min(ow, firstInside(j, pad, stride));
                    int hi = Math.max(lo, Math.min(ow, lastInside(j, pad, stride, W) + 1));
                    for (int y = 0; y < oh; y++) {
                        int d = row + y * ow;
                        int ih = y * stride - pad + i;
                        if (ih < 0 || ih >= H) {
                            java.util.Arrays.fill(col, d, d + ow, 0f);
                            continue;
                        }
                        java.util.Arrays.fill(col, d, d + lo, 0f);
                        int s = xc + ih * W + lo * stride - pad + j; // negative when no column is inside
                        if (hi == lo) {
                            java.util.Arrays.fill(col, d + lo, d + ow, 0f);
                            continue;
                        }
                        if (stride == 1) {
                            System.arraycopy(x, s, col, d + lo, hi - lo);
                        } else {
                            for (int q = lo; q < hi; q++, s += stride) {
                                col[d + q] = x[s];
                            }
                        }
                        java.util.Arrays.fill(col, d + hi, d + ow, 0f);
                    }
                }
            }
        }
    }

    /**
     * Adjoint of {@link #im2col}: adds each col entry into the x[C, H, W] position it was read
     * from (entries from padding are dropped). Accumulates; zero x first for a plain result.
     */
    public static void col2im(float[] col, int colOff, int C, int H, int W, int kh, int kw,
                              int stride, int pad, float[] x, int xOff) {
        int oh = outSize(H, kh, stride, pad);
        int ow = outSize(W, kw, stride, pad);
        int row = colOff;
        for (int c = 0; c < C; c++) {
            int xc = xOff + c * H * W;
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++, row += oh * ow) {
                    int lo = Math.min(ow, firstInside(j, pad, stride));
                    int hi = Math.max(lo, Math.min(ow, lastInside(j, pad, stride, W) + 1));
                    for (int y = 0; y < oh; y++) {
                        int ih = y * stride - pad + i;
                        if (ih < 0 || ih >= H) {
                            continue;
                        }
                        int d = row + y * ow;
                        int s = xc + ih * W + lo * stride - pad + j;
                        for (int q = lo; q < hi; q++, s += stride) {
                            x[s] += col[d + q];
                        }
                    }
                }
            }
        }
    }

    /** First output column whose input column q·stride − pad + j is ≥ 0. */
    private static int firstInside(int j, int pad, int stride) {
        int need = pad - j;
        return need <= 0 ? 0 : (need + stride - 1) / stride;
    }

    /** Last output column whose input column q·stride − pad + j is < W (may be negative). */
    private static int lastInside(int j, int pad, int stride, int W) {
        int lim = W - 1 + pad - j;
        return lim < 0 ? -1 : lim / stride;
    }
}
