package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

/**
 * Inference convolution for maps with few pixels (layer2's stride-2 convolution, layer3 and
 * layer4 at batch 1), with output channels in the vector lanes: tiles of
 * {@link GemmVectorKernel#PR} pixels × NR channels ({@link GemmVectorKernel#kernelPixels}). The
 * weights are packed once, when the plan is built ({@link #pack}), into NR-channel panels, so
 * that each worker streams its own panels from memory once, in order, and reuses each from L2
 * for all the pixel tiles. The image is first copied channels last and zero-padded
 * ({@link #channelsLast}): a pixel's inputs along one kernel row (kw taps × C channels) are then
 * one run, which the kernel reads with indices that step by one, so no bounds check is left in
 * its loop and no lowered matrix is formed. Only real pixels are computed: on a 7×7 map the
 * transposed product of {@link Convolution} computes 64 columns for 49 pixels (two 32-column
 * panels), this one 7 tiles of 7.
 *
 * <p>The depth is not blocked: each tile is accumulated over all of C·kh·kw and stored once,
 * then the epilogue (bias, residual, ReLU) writes it transposed into y. The sums are those of
 * the direct product in another order, so the result differs from {@link Convolution#forward}
 * by rounding only ({@code PackedConvTest}).
 */
public final class PackedConv {
    private PackedConv() {
    }

    /** Pixels per tile. */
    static final int PR = GemmVectorKernel.PR;

    /**
     * At most this many output pixels per image: layer2's stride-2 convolution and everything
     * after it at 224 px. {@code -Dresnet4j.conv.packedPixels}; 0 turns the path off.
     */
    static int MAX_PIXELS = Integer.getInteger("resnet4j.conv.packedPixels", 784);

    /** Whether the weights for the next panel are touched ahead ({@link #forward}); tests and benchmarks flip it. */
    static boolean PREFETCH = !"false".equals(System.getProperty("resnet4j.conv.prefetch"));

    /**
     * Whether {@link #forward} suits this shape: one image, or fewer images than workers (the
     * workers then split each image's weight panels), few pixels, the vector kernel in use, and
     * enough arithmetic per input value for the channels-last copy to pay: at least 128
     * multiply-adds per value, which a 3×3 convolution has and layer3's 1×1 stride-2 shortcut
     * (64) has not. 2 threads, batch 1, against the other paths, each convolution's weights
     * coming from memory ({@code PackedConvBench}): at 224 px, layer3's and layer4's 3×3
     * convolutions 15–40 % faster (also than F(2,3)), layer2's stride-2 one ~15 %, layer4's 1×1
     * shortcut ~30 %, where layer3's 1×1 shortcut would be 30–45 % slower and the stem 20 %;
     * ResNet-50's 1×1 convolutions at 14×14 and 7×7 0–30 % faster. Winograd F(4,3), where it
     * applies, stays faster.
     */
    public static boolean applies(Convolution.Shape s) {
        long pixels = (long) s.oh() * s.ow();
        return Gemm.vectorInUse() && (s.n() == 1 || s.n() < Parallel.threads()) && pixels <= MAX_PIXELS
                && (long) s.outC() * s.kh() * s.kw() * pixels >= 128L * s.h() * s.w();
    }

    /**
     * w [outC, C, kh, kw] as panels of NR output channels, each [kh·kw, C, NR], tap-major:
     * {@code wp[((j·T + t)·C + c)·NR + o] = w[j·NR + o, c, t]} (T = kh·kw), zero past outC.
     */
    public static float[] pack(float[] w, int outC, int c, int taps) {
        int nr = Gemm.NR;
        int panels = (outC + nr - 1) / nr;
        int k = c * taps;
        float[] wp = new float[panels * k * nr];
        for (int o = 0; o < outC; o++) {
            int base = (o / nr) * k * nr + o % nr;
            for (int ci = 0; ci < c; ci++) {
                for (int t = 0; t < taps; t++) {
                    wp[base + (t * c + ci) * nr] = w[o * k + ci * taps + t];
                }
            }
        }
        return wp;
    }

    /**
     * y = conv(x, w) + bias (+ residual), then ReLU if {@code relu}, with {@code wp} =
     * {@link #pack}(w, …), image by image: the workers split each image's channels-last copy by
     * rows, then its weight panels.
     */
    public static void forward(Convolution.Shape s, float[] x, float[] wp, float[] bias, float[] residual,
                               boolean relu, float[] y) {
        int st = s.stride();
        int c = s.c();
        int hp = s.h() + 2 * s.pad();
        int wpd = s.w() + 2 * s.pad();
        int oh = s.oh();
        int ow = s.ow();
        int pixels = oh * ow;
        int k = s.colRows();
        int nr = Gemm.NR;
        int panels = (s.outC() + nr - 1) / nr;
        int inSize = c * s.h() * s.w();
        int outSize = s.outC() * pixels;
        float[] xh = Convolution.scratch(0, hp * wpd * c);
        // tap (ki, kj) of output pixel (oy, ox), channel ci, reads xh at
        // rowAt[ki] + at[oy·OW + ox] + kj·C + ci: for each kernel row, one run of kw·C values
        int run = s.kw() * c;
        int[] rowAt = new int[s.kh()];
        for (int ki = 0; ki < s.kh(); ki++) {
            rowAt[ki] = ki * wpd * c;
        }
        // the last tile repeats the last pixel
        int tiles = (pixels + PR - 1) / PR;
        int[] at = new int[tiles * PR];
        for (int p = 0; p < at.length; p++) {
            int q = Math.min(p, pixels - 1);
            at[p] = (st * (q / ow) * wpd + st * (q % ow)) * c;
        }
        for (int i = 0; i < s.n(); i++) {
            int xOff = i * inSize;
            int yOff = i * outSize;
            Parallel.forRange(hp, 1, (lo, hi) -> channelsLast(s, x, xOff, lo, hi, xh));
            Parallel.forRange(panels, 1, (lo, hi) -> {
                float[] tile = Convolution.scratch(3, PR * nr + 1);
                int size = k * nr;
                for (int j = lo; j < hi; j++) {
                    int o0 = j * nr;
                    int on = Math.min(nr, s.outC() - o0);
                    for (int t = 0; t < tiles; t++) {
                        int p0 = t * PR;
                        // while tiles 1.. read this panel from L2, touch the next one's cache
                        // lines, spread over them, so that it streams in from memory meanwhile
                        int pfOff = j * size;
                        int pfStep = 0;
                        if (PREFETCH && j + 1 < hi && t > 0 && tiles > 1) {
                            int step = (size + (tiles - 1) * k - 1) / ((tiles - 1) * k);
                            long start = (long) (t - 1) * k * step;
                            if (start + (long) (k - 1) * step < size) {
                                pfOff = (j + 1) * size + (int) start;
                                pfStep = step;
                            }
                        }
                        for (int ki = 0; ki < rowAt.length; ki++) {
                            GemmVectorKernel.kernelPixels(run, rowAt[ki], xh, at[p0], at[p0 + 1], at[p0 + 2],
                                    at[p0 + 3], at[p0 + 4], at[p0 + 5], at[p0 + 6], wp, j * size + ki * run * nr,
                                    wp, pfOff + ki * run * pfStep, pfStep, tile, ki > 0);
                        }
                        store(tile, Math.min(PR, pixels - p0), on, o0, p0, pixels, bias, residual, relu, y, yOff);
                    }
                }
            });
        }
    }

    /** Rows [r0, r1) of the zero-padded image, channels last: xh[(r·Wp + col)·C + c]. */
    static void channelsLast(Convolution.Shape s, float[] x, int xOff, int r0, int r1, float[] xh) {
        int c = s.c();
        int h = s.h();
        int w = s.w();
        int pad = s.pad();
        int wpd = w + 2 * pad;
        for (int r = r0; r < r1; r++) {
            int row = r * wpd * c;
            int iy = r - pad;
            if (iy < 0 || iy >= h) {
                java.util.Arrays.fill(xh, row, row + wpd * c, 0f);
                continue;
            }
            java.util.Arrays.fill(xh, row, row + pad * c, 0f);
            java.util.Arrays.fill(xh, row + (pad + w) * c, row + wpd * c, 0f);
            // blocks of 16 channels: their 16 source rows stay in L1 while each pixel's 16
            // values are written in a run
            for (int c0 = 0; c0 < c; c0 += 16) {
                int c1 = Math.min(c, c0 + 16);
                int src = xOff + (c0 * h + iy) * w;
                for (int ix = 0; ix < w; ix++) {
                    int dst = row + (pad + ix) * c + c0;
                    for (int ci = c0, si = src + ix; ci < c1; ci++, si += h * w) {
                        xh[dst++] = x[si];
                    }
                }
            }
        }
    }

    /** y[o0 + o, p0 + r] = epilogue(tile[r, o]) for r < pr, o < on. */
    private static void store(float[] tile, int pr, int on, int o0, int p0, int pixels, float[] bias,
                              float[] residual, boolean relu, float[] y, int yOff) {
        int nr = Gemm.NR;
        for (int o = 0; o < on; o++) {
            float b = bias == null ? 0f : bias[o0 + o];
            int d = yOff + (o0 + o) * pixels + p0;
            for (int r = 0; r < pr; r++) {
                float v = tile[r * nr + o] + b;
                if (residual != null) {
                    v += residual[d + r];
                }
                y[d + r] = relu ? Math.max(v, 0f) : v;
            }
        }
    }
}
