package dev.resnet4j.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** im2col / col2im and the convolution built on them against direct scalar definitions. */
class Conv2dKernelsTest {
    /** (C, H, W, kh, kw, stride, pad): ResNet's stem, 3×3, 1×1 and strided cases, odd sizes. */
    private static final int[][] CASES = {
        {3, 15, 13, 7, 7, 2, 3}, {4, 8, 8, 3, 3, 1, 1}, {2, 7, 9, 3, 3, 2, 1},
        {5, 6, 6, 1, 1, 1, 0}, {3, 9, 7, 1, 1, 2, 0}, {1, 5, 4, 3, 2, 1, 2},
        {2, 3, 3, 3, 3, 3, 0}, {1, 1, 1, 3, 3, 1, 1}, {2, 4, 5, 5, 5, 1, 4}, {1, 2, 2, 1, 1, 2, 3}, {2, 1, 1, 3, 3, 2, 2},
        {1, 1, 1, 5, 5, 1, 2}, {2, 2, 3, 7, 5, 1, 3},
    };

    @Test
    void im2colMatchesScalarDefinition() {
        Random rnd = new Random(1);
        for (int[] t : CASES) {
            // the image at the array's start too: a row with no column inside the input must
            // not compute a source index before it (a 1x1 input under a 5x5 kernel did)
            for (int xOff : new int[]{3, 0}) {
                int C = t[0], H = t[1], W = t[2], kh = t[3], kw = t[4], s = t[5], p = t[6];
                float[] x = random(rnd, xOff + C * H * W);
                int rows = C * kh * kw;
                int cols = Conv2dKernels.outSize(H, kh, s, p) * Conv2dKernels.outSize(W, kw, s, p);
                float[] col = random(rnd, 2 + rows * cols + 1);
                float[] expected = col.clone();
                naiveIm2col(x, xOff, C, H, W, kh, kw, s, p, expected, 2);
                Conv2dKernels.im2col(x, xOff, C, H, W, kh, kw, s, p, col, 2);
                assertArrayEquals(expected, col, java.util.Arrays.toString(t) + " at " + xOff);
            }
        }
    }

    @Test
    void col2imMatchesScalarDefinitionAndIsTheAdjoint() {
        Random rnd = new Random(2);
        for (int[] t : CASES) {
            int C = t[0], H = t[1], W = t[2], kh = t[3], kw = t[4], s = t[5], p = t[6];
            int rows = C * kh * kw;
            int cols = Conv2dKernels.outSize(H, kh, s, p) * Conv2dKernels.outSize(W, kw, s, p);
            float[] col = random(rnd, rows * cols);
            float[] x = random(rnd, 1 + C * H * W);
            float[] expected = x.clone();
            naiveCol2im(col, C, H, W, kh, kw, s, p, expected, 1);
            Conv2dKernels.col2im(col, 0, C, H, W, kh, kw, s, p, x, 1);
            assertArrayEquals(expected, x, 1e-6f, java.util.Arrays.toString(t));

            // <im2col(u), col> == <u, col2im(col)>
            float[] u = random(rnd, C * H * W);
            float[] cu = new float[rows * cols];
            Conv2dKernels.im2col(u, 0, C, H, W, kh, kw, s, p, cu, 0);
            float[] back = new float[C * H * W];
            Conv2dKernels.col2im(col, 0, C, H, W, kh, kw, s, p, back, 0);
            assertEquals(dot(cu, col), dot(u, back), 1e-4 * rows * cols);
        }
    }

    /**
     * Convolution forward and backward against the direct definitions, at batch 1 (per-image
     * im2col + GEMM) and batch 3 (the batched gather path for small maps, including maps so
     * small that some kernel taps read only padding and are dropped), with and without the
     * lowering kept from forward.
     */
    @Test
    void convolutionMatchesDirectDefinition() {
        Random rnd = new Random(3);
        for (int n : new int[]{1, 3}) {
            for (int[] t : CASES) {
                int C = t[0], H = t[1], W = t[2], kh = t[3], kw = t[4], s = t[5], p = t[6];
                int oc = 5;
                Convolution.Shape shape = new Convolution.Shape(n, C, H, W, oc, kh, kw, s, p);
                int oh = shape.oh();
                int ow = shape.ow();
                String what = "n=" + n + " " + java.util.Arrays.toString(t);
                float[] x = random(rnd, n * C * H * W);
                float[] w = random(rnd, oc * C * kh * kw);
                float[] bias = random(rnd, oc);
                float[] y = new float[n * oc * oh * ow];
                Convolution.Saved keep = new Convolution.Saved();
                Convolution.forward(shape, x, w, bias, null, false, y, keep);
                float[] dy = random(rnd, y.length);
                float[] dx = random(rnd, x.length); // overwritten
                float[] dw = random(rnd, w.length); // accumulated into
                float[] dwBefore = dw.clone();
                float[] db = new float[oc];
                Convolution.backward(shape, x, w, dy, dx, dw, db, keep);
                // again without the kept lowering: the same gradients
                float[] dx2 = new float[x.length];
                float[] dw2 = new float[w.length];
                Convolution.backward(shape, x, w, dy, dx2, dw2, null, keep);
                assertArrayEquals(dx, dx2, what + " dx without the kept lowering");
                for (int j = 0; j < w.length; j++) {
                    assertEquals(dw[j] - dwBefore[j], dw2[j], 1e-5, what + " dw without the kept lowering");
                }

                double[] dxWant = new double[x.length];
                double[] dwWant = new double[w.length];
                double[] dbWant = new double[oc];
                for (int i = 0; i < n; i++) {
                    for (int o = 0; o < oc; o++) {
                        for (int a = 0; a < oh; a++) {
                            for (int b = 0; b < ow; b++) {
                                int yi = ((i * oc + o) * oh + a) * ow + b;
                                double sum = bias[o];
                                dbWant[o] += dy[yi];
                                for (int c = 0; c < C; c++) {
                                    for (int u = 0; u < kh; u++) {
                                        for (int v = 0; v < kw; v++) {
                                            int ih = a * s - p + u, iw = b * s - p + v;
                                            if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
                                                int wi = ((o * C + c) * kh + u) * kw + v;
                                                int xi = ((i * C + c) * H + ih) * W + iw;
                                                sum += w[wi] * x[xi];
                                                dwWant[wi] += (double) dy[yi] * x[xi];
                                                dxWant[xi] += (double) dy[yi] * w[wi];
                                            }
                                        }
                                    }
                                }
                                assertEquals(sum, y[yi], 1e-4, what + " y");
                            }
                        }
                    }
                }
                for (int j = 0; j < x.length; j++) {
                    assertEquals(dxWant[j], dx[j], 1e-4, what + " dx");
                }
                for (int j = 0; j < w.length; j++) {
                    assertEquals(dwBefore[j] + dwWant[j], dw[j], 1e-4, what + " dw");
                }
                for (int o = 0; o < oc; o++) {
                    assertEquals(dbWant[o], db[o], 1e-4, what + " db");
                }
            }
        }
    }

    static void naiveIm2col(float[] x, int xOff, int C, int H, int W, int kh, int kw, int s, int p,
                            float[] col, int colOff) {
        int oh = Conv2dKernels.outSize(H, kh, s, p);
        int ow = Conv2dKernels.outSize(W, kw, s, p);
        for (int c = 0; c < C; c++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int row = (c * kh + i) * kw + j;
                    for (int a = 0; a < oh; a++) {
                        for (int b = 0; b < ow; b++) {
                            int ih = a * s - p + i, iw = b * s - p + j;
                            boolean in = ih >= 0 && ih < H && iw >= 0 && iw < W;
                            col[colOff + row * oh * ow + a * ow + b] = in ? x[xOff + (c * H + ih) * W + iw] : 0f;
                        }
                    }
                }
            }
        }
    }

    static void naiveCol2im(float[] col, int C, int H, int W, int kh, int kw, int s, int p,
                            float[] x, int xOff) {
        int oh = Conv2dKernels.outSize(H, kh, s, p);
        int ow = Conv2dKernels.outSize(W, kw, s, p);
        for (int c = 0; c < C; c++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int row = (c * kh + i) * kw + j;
                    for (int a = 0; a < oh; a++) {
                        for (int b = 0; b < ow; b++) {
                            int ih = a * s - p + i, iw = b * s - p + j;
                            if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
                                x[xOff + (c * H + ih) * W + iw] += col[row * oh * ow + a * ow + b];
                            }
                        }
                    }
                }
            }
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextFloat() * 2 - 1;
        }
        return x;
    }
}
