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
 * panels), this one 7 tiles of 7. Where {@link #PAIRS} (JDK 25+, 16-lane vectors), two tiles run
 * in one loop ({@link GemmVectorKernel#kernelPixelPair}), so that each weight vector loaded,
 * the first time from memory, serves 14 pixels; the bits are the same.
 *
 * <p>The depth is not blocked: each tile is accumulated over all of C·kh·kw and stored once,
 * then the epilogue (bias, residual, ReLU) writes it transposed into y. The sums are those of
 * the direct product in another order, so the result differs from {@link Convolution#forward}
 * by rounding only ({@code PackedConvTest}).
 *
 * <p>A run of such convolutions can keep its activations in the padded channels-last layout
 * ({@link #forwardPadded}, {@link #toPadded}, {@link #avgPoolPadded}): each reads its input in
 * place, with no copy, and stores each tile pixel's channels as a run into the next one's
 * padded input, with no transpose. The folded forward does so at batch 1 for layer3 and layer4;
 * the sums and the epilogue are the same, so the bits are too.
 */
public final class PackedConv {
    private PackedConv() {
    }

    /** Pixels per tile. */
    static final int PR = GemmVectorKernel.PR;

    /**
     * At most this many output pixels per image when there are fewer images than workers
     * (layer2's stride-2 convolution and everything after it at 224 px), or when the tiles run
     * two at a time ({@link #PAIRS}); a quarter of it otherwise (layer3's and layer4's).
     * {@code -Dresnet4j.conv.packedPixels}; 0 turns the path off.
     */
    static int MAX_PIXELS = Integer.getInteger("resnet4j.conv.packedPixels", 784);

    /**
     * Whether the units of a convolution whose weights are smaller than its input go tile group
     * by tile group ({@link Geometry#groupMajor}); {@code -Dresnet4j.conv.groupMajor=false}
     * keeps panel by panel everywhere. Same bits either way.
     */
    static boolean GROUP_MAJOR = !"false".equals(System.getProperty("resnet4j.conv.groupMajor"));

    /**
     * Whether {@link #channelsLast} gathers a vector's worth of channels per pixel (when the
     * channels are a multiple of the vector's lanes) rather than copying value by value;
     * {@code -Dresnet4j.conv.gather=false}, tests flip it.
     */
    static boolean GATHER = !"false".equals(System.getProperty("resnet4j.conv.gather"));

    /**
     * Whether {@link #units} runs two tiles at a time ({@link GemmVectorKernel#kernelPixelPair}):
     * by default where that is fast ({@link GemmVectorKernel#PAIRS_FAST}); {@code
     * -Dresnet4j.conv.pairs=true|false}, tests flip it. Same bits either way.
     */
    static boolean PAIRS = Boolean.parseBoolean(System.getProperty("resnet4j.conv.pairs",
            String.valueOf(GemmVectorKernel.PAIRS_FAST)));

    /**
     * Whether {@link #forward} suits this shape, given the Winograd tile the plan would use
     * otherwise ({@link Winograd#tileFor}, 0 for none). Measured with {@code PackedConvBench}
     * (2 threads, interleaved, each convolution's weights coming from memory as in a network),
     * against the path the plan would take otherwise:
     * <ul>
     *   <li>never instead of F(4,3), which stays faster;</li>
     *   <li>one image, or fewer images than workers (which then split each image's weight
     *       panels): up to {@link #MAX_PIXELS} pixels, also instead of F(2,3). At batch 1,
     *       224 px: layer3's and layer4's 3×3 convolutions 15–40 % faster (layer3 also than
     *       F(2,3)), layer2's stride-2 one ~15 %, layer4's 1×1 shortcut ~30 %;</li>
     *   <li>more images (each worker takes whole images): kernels larger than 1×1, up to a
     *       quarter of MAX_PIXELS (all of it with {@link #PAIRS}), not instead of F(2,3), which
     *       is 10–20 % faster there. Layer3's and layer4's stride-2 3×3 convolutions 20–30 %
     *       faster at batch 2 and 4, 8–16 % at 16 (one thread's CPU time); layer2's (784
     *       pixels) at 16 no faster with one tile at a time, 7–9 % faster with pairs (9.27 and
     *       8.76 ms against 10.15 and 9.43, two runs); layer4's 1×1 shortcut ~35 % slower;</li>
     *   <li>with at least 128 multiply-adds per input value, for the channels-last copy to pay:
     *       a 3×3 convolution has them, and layer4's 1×1 stride-2 shortcut; layer3's (64) has
     *       not, and would be 30–45 % slower;</li>
     *   <li>only with the vector kernel in use.</li>
     * </ul>
     */
    public static boolean applies(Convolution.Shape s, int winogradTile) {
        if (winogradTile == 4 || !Gemm.vectorInUse()) {
            return false;
        }
        long pixels = (long) s.oh() * s.ow();
        boolean few = s.n() == 1 || s.n() < Parallel.threads();
        if (!few && (winogradTile == 2 || (PAIRS ? pixels : 4 * pixels) > MAX_PIXELS || s.kh() * s.kw() == 1)) {
            return false;
        }
        return pixels <= MAX_PIXELS && (long) s.outC() * s.kh() * s.kw() * pixels >= 128L * s.h() * s.w();
    }

    /**
     * w [outC, C, kh, kw] as panels of NR output channels, each [kh·kw, C, NR], tap-major:
     * {@code wp[w0 + ((j·T + t)·C + c)·NR + o] = w[j·NR + o, c, t]} (T = kh·kw), zero past outC,
     * after w0 = {@link Align#FLOATS} unused floats (the panels on a cache line where the JVM
     * allows it; readers take w0 from the length).
     */
    public static float[] pack(float[] w, int outC, int c, int taps) {
        int nr = Gemm.NR;
        int panels = (outC + nr - 1) / nr;
        int k = c * taps;
        int w0 = Align.FLOATS;
        float[] wp = new float[w0 + panels * k * nr];
        for (int o = 0; o < outC; o++) {
            int base = w0 + (o / nr) * k * nr + o % nr;
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
     * {@link #pack}(w, …), image by image. With fewer images than workers, the workers split
     * each image's channels-last copy by rows, then its weight panels' tile groups (~32 units a
     * worker, balanced: {@link Parallel#forRangeBalanced}); otherwise each worker takes whole
     * images.
     */
    public static void forward(Convolution.Shape s, float[] x, float[] wp, float[] bias, float[] residual,
                               boolean relu, float[] y) {
        Geometry g = geometry(s, s.pad());
        int inSize = s.c() * s.h() * s.w();
        int outSize = s.outC() * g.pixels;
        int xhSize = g.hp * g.wpd * s.c();
        if (s.n() < Parallel.threads()) {
            float[] xh = Convolution.scratch(0, xhSize);
            for (int i = 0; i < s.n(); i++) {
                int xOff = i * inSize;
                int yOff = i * outSize;
                Parallel.forRangeBalanced(g.hp, 2, (lo, hi) -> channelsLast(s, x, xOff, lo, hi, xh));
                // pieces of a panel's tiles (units), so that a faster core can take over a
                // slower one's last ones
                Parallel.forRangeBalanced(g.panels * g.groups, 1, (lo, hi) ->
                        units(g, xh, 0, wp, lo, hi, bias, residual, relu, y, yOff, BUFFERS.get().tiles(g.tiles),
                                false, g.run));
            }
            return;
        }
        Parallel.forRangeBalanced(s.n(), 1, (lo, hi) -> {
            Buffers buf = BUFFERS.get();
            float[] xh = buf.image(xhSize);
            for (int i = lo; i < hi; i++) {
                channelsLast(s, x, i * inSize, 0, g.hp, xh);
                units(g, xh, 0, wp, 0, g.panels * g.groups, bias, residual, relu, y, i * outSize,
                        buf.tiles(g.tiles), false, g.run);
            }
        });
    }

    /**
     * Whether the padded channels-last form ({@link #forwardPadded}) takes this convolution: a
     * 3×3 kernel with padding 1 or a 1×1 kernel without padding (any stride), at most
     * {@link #MAX_PIXELS} output pixels, the vector kernel in use, and {@link #PADDED}.
     */
    public static boolean appliesPadded(Convolution.Shape s) {
        boolean kernel = s.kh() == s.kw() && (s.kh() == 3 && s.pad() == 1 || s.kh() == 1 && s.pad() == 0);
        return PADDED && kernel && Gemm.vectorInUse() && (long) s.oh() * s.ow() <= MAX_PIXELS;
    }

    /**
     * Whether a run of convolutions may keep their activations in the padded channels-last
     * layout ({@link #forwardPadded}) instead of converting at every convolution;
     * {@code -Dresnet4j.conv.padded=false}, tests flip it. Same bits either way.
     */
    public static boolean PADDED = !"false".equals(System.getProperty("resnet4j.conv.padded"));

    /** Floats of n images [C, H, W] in the padded channels-last layout: n·(H + 2)·(W + 2)·C. */
    public static int paddedSize(int n, int c, int h, int w) {
        return n * (h + 2) * (w + 2) * c;
    }

    /**
     * A fresh buffer (zero, so its border too) for n images [C, H, W] in the padded
     * channels-last layout: {@link #paddedSize} floats after {@link Align#activations()} unused
     * ones, so that every pixel's run of channels starts on a cache line where the JVM allows it
     * (ResNet's channel counts are multiples of 16). Every reader and writer of the layout takes
     * that offset from the buffer's length ({@link #paddedOffset}), so a buffer of exactly
     * {@link #paddedSize} floats is read the same way.
     */
    public static float[] newPadded(int n, int c, int h, int w) {
        return new float[Align.activations() + paddedSize(n, c, h, w)];
    }

    /**
     * Where n images [C, H, W] start in a buffer of the padded channels-last layout: the floats
     * in front of its {@link #paddedSize}; a buffer too short for them is refused.
     */
    static int paddedOffset(float[] xh, int n, int c, int h, int w, String what) {
        int off = xh.length - paddedSize(n, c, h, w);
        if (off < 0 || off >= 64) {
            throw new IllegalArgumentException("padded layout: " + what + " holds " + xh.length + " floats, not "
                    + paddedSize(n, c, h, w) + " (+ fewer than 64) for [" + n + ", " + c + ", " + h + ", " + w + "]");
        }
        return off;
    }

    /** The residual's offset, which must be y's (the epilogue reads both at one index). */
    static void sameOffset(float[] residual, int y0, int n, int c, int h, int w) {
        int r0 = residual == null ? y0 : paddedOffset(residual, n, c, h, w, "residual");
        if (r0 != y0) {
            throw new IllegalArgumentException("padded layout: the residual starts " + r0 + " floats in, y " + y0);
        }
    }

    /**
     * n images x [n, C, H, W] into the padded channels-last layout, xh[((i·(H + 2) + r)·(W + 2)
     * + col)·C + c] = x[i, c, r − 1, col − 1], zero on the one-pixel border, the layout
     * {@link #forwardPadded} reads and writes.
     */
    public static void toPadded(int n, int c, int h, int w, float[] x, float[] xh) {
        Convolution.Shape s = new Convolution.Shape(1, c, h, w, c, 3, 3, 1, 1);
        int inSize = c * h * w;
        int size = paddedSize(1, c, h, w);
        int d0 = paddedOffset(xh, n, c, h, w, "the padded copy");
        if (n >= Parallel.threads()) {
            // whole images a worker: one parallel loop, not one per image
            Parallel.forRangeBalanced(n, 1, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    channelsLast(s, x, i * inSize, 0, h + 2, xh, d0 + i * size);
                }
            });
            return;
        }
        for (int i = 0; i < n; i++) {
            int xOff = i * inSize;
            int d = d0 + i * size;
            Parallel.forRangeBalanced(h + 2, 2, (lo, hi) -> channelsLast(s, x, xOff, lo, hi, xh, d));
        }
    }

    /**
     * y = conv(x, w) + bias (+ residual), then ReLU if {@code relu}, as {@link #forward} computes
     * it (the same sums in the same order, so the same bits), with x, the residual and y in the
     * padded channels-last layout ({@link #toPadded}): y's border is not written (zero in a
     * fresh buffer), the residual has y's shape. For shapes {@link #appliesPadded} takes: no
     * copy of the input and no transposed store, the workers splitting each image's weight
     * panels' tile groups.
     */
    public static void forwardPadded(Convolution.Shape s, float[] xh, float[] wp, float[] bias, float[] residual,
                                     boolean relu, float[] y) {
        if (!(s.kh() == 3 && s.pad() == 1 || s.kh() == 1 && s.pad() == 0) || s.kh() != s.kw()) {
            throw new IllegalArgumentException("padded layout: 3x3 with padding 1 or 1x1 without, got " + s);
        }
        Geometry g = geometry(s, 1);
        // a 1×1 projection that the plain plan runs as the strided product sums in its depth
        // blocks (Gemm.depthBlock); the others in one chain, as PackedConv.forward
        int kc0 = s.kh() == 1 && !applies(s, 0) ? Gemm.depthBlock(s.c()) : g.run;
        int inSize = paddedSize(1, s.c(), s.h(), s.w());
        int outSize = paddedSize(1, s.outC(), s.oh(), s.ow());
        int x0 = paddedOffset(xh, s.n(), s.c(), s.h(), s.w(), "x");
        int y0 = paddedOffset(y, s.n(), s.outC(), s.oh(), s.ow(), "y");
        sameOffset(residual, y0, s.n(), s.outC(), s.oh(), s.ow());
        if (s.n() >= Parallel.threads()) {
            // each worker takes whole images
            Parallel.forRangeBalanced(s.n(), 1, (lo, hi) -> {
                float[] tiles = BUFFERS.get().tiles(g.tiles);
                for (int i = lo; i < hi; i++) {
                    units(g, xh, x0 + i * inSize, wp, 0, g.panels * g.groups, bias, residual, relu, y,
                            y0 + i * outSize, tiles, true, kc0);
                }
            });
            return;
        }
        for (int i = 0; i < s.n(); i++) {
            int xOff = x0 + i * inSize;
            int yOff = y0 + i * outSize;
            Parallel.forRangeBalanced(g.panels * g.groups, 1, (lo, hi) ->
                    units(g, xh, xOff, wp, lo, hi, bias, residual, relu, y, yOff, BUFFERS.get().tiles(g.tiles), true,
                            kc0));
        }
    }

    /** The inverse of {@link #toPadded}: x [n, C, H, W] from its padded channels-last layout. */
    public static void fromPadded(int n, int c, int h, int w, float[] xh, float[] x) {
        int size = paddedSize(1, c, h, w);
        int plane = h * w;
        int x0 = paddedOffset(xh, n, c, h, w, "the padded input");
        Parallel.forRangeBalanced(n * h, 2, (lo, hi) -> {
            for (int q = lo; q < hi; q++) {
                int i = q / h;
                int r = q % h;
                int src = x0 + i * size + ((r + 1) * (w + 2) + 1) * c;
                int dst = i * c * plane + r * w;
                for (int col = 0; col < w; col++, src += c) {
                    for (int ci = 0, d = dst + col; ci < c; ci++, d += plane) {
                        x[d] = xh[src + ci];
                    }
                }
            }
        });
    }

    /**
     * y[i, c] = the mean of image i's channel c over its H×W pixels, from the padded
     * channels-last layout: the sum over the pixels in row-major order, then divided by H·W, as
     * {@code AdaptiveAvgPool2d(1, 1)} computes it (the same bits).
     */
    public static void avgPoolPadded(int n, int c, int h, int w, float[] xh, float[] y) {
        int size = paddedSize(1, c, h, w);
        int x0 = paddedOffset(xh, n, c, h, w, "the padded input");
        for (int i = 0; i < n; i++) {
            int yo = i * c;
            java.util.Arrays.fill(y, yo, yo + c, 0f);
            for (int r = 1; r <= h; r++) {
                for (int col = 1; col <= w; col++) {
                    int src = x0 + i * size + (r * (w + 2) + col) * c;
                    for (int ci = 0; ci < c; ci++) {
                        y[yo + ci] += xh[src + ci];
                    }
                }
            }
            for (int ci = 0; ci < c; ci++) {
                y[yo + ci] = y[yo + ci] / (h * w);
            }
        }
    }

    /** The geometry of shape s (batch ignored) over an input stored with {@code storagePad} zero pixels around it. */
    private static Geometry geometry(Convolution.Shape s, int storagePad) {
        return GEOMETRIES.computeIfAbsent(new Key(new Convolution.Shape(1, s.c(), s.h(), s.w(), s.outC(), s.kh(),
                s.kw(), s.stride(), s.pad()), storagePad), k -> new Geometry(k.s(), k.storagePad()));
    }

    private record Key(Convolution.Shape s, int storagePad) {
    }

    /** {@link Geometry} per shape (batch set to 1), made once: its pixel offsets cost ~3 % of a call to build. */
    private static final java.util.Map<Key, Geometry> GEOMETRIES =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Sizes and offsets derived from the shape (all but the batch). */
    private static final class Geometry {
        final Convolution.Shape s;
        final int hp;
        final int wpd;
        final int pixels;
        final int panels;
        final int tiles;
        /** A panel's tiles in groups of groupTiles: the units the workers share at batch 1. */
        final int groups;
        final int groupTiles;
        /** Values along one kernel row: kw·C. */
        final int run;
        /** Where kernel row ki starts for pixel 0: rowAt[ki]. */
        final int[] rowAt;
        /** Where pixel p's window starts (the last tile repeats the last pixel). */
        final int[] at;
        /**
         * Whether the units go tile group by tile group, every panel of a group in turn, rather
         * than panel by panel: where the weights are smaller than an image's stored input (a
         * kernel larger than 1×1: layer2's stride-2 3×3 at 224 px), so that the input is read
         * once and the weights stay in L2; else each panel's weights are read once. Layer2's
         * stride-2 3×3 alone (in one JVM, alternating): 0.325 → 0.310 ms at batch 1, 6.22 →
         * 5.79 ms at 16; the 1×1 shortcuts were within ±2 % either way, so they stay.
         */
        final boolean groupMajor;

        Geometry(Convolution.Shape s, int storagePad) {
            this.s = s;
            int c = s.c();
            int st = s.stride();
            hp = s.h() + 2 * storagePad;
            wpd = s.w() + 2 * storagePad;
            // the window of output pixel (0, 0) starts this many pixels into each stored row and
            // column: none where the input is stored with the convolution's own padding
            int shift = storagePad - s.pad();
            int ow = s.ow();
            pixels = s.oh() * ow;
            panels = (s.outC() + Gemm.NR - 1) / Gemm.NR;
            // tap (ki, kj) of output pixel (oy, ox), channel ci, reads xh at
            // rowAt[ki] + at[oy·OW + ox] + kj·C + ci: for each kernel row, one run of kw·C values
            run = s.kw() * c;
            rowAt = new int[s.kh()];
            for (int ki = 0; ki < s.kh(); ki++) {
                rowAt[ki] = ki * wpd * c;
            }
            tiles = (pixels + PR - 1) / PR;
            // about 32 units a worker at batch 1 (2 workers), an even number of tiles each:
            // layer4 4 groups of 2 tiles a panel, layer3 7 of 4, layer2's stride-2 convolution 14 of 8
            int per = (tiles + Math.max(1, 64 / panels) - 1) / Math.max(1, 64 / panels);
            if (per > 1 && per % 2 == 1) {
                per++; // whole pairs of tiles for kernelPixelPair
            }
            groups = (tiles + per - 1) / per;
            groupTiles = per;
            groupMajor = s.kh() * s.kw() > 1 && (long) s.outC() * c * s.kh() * s.kw() < (long) hp * wpd * c;
            at = new int[tiles * PR];
            for (int p = 0; p < at.length; p++) {
                int q = Math.min(p, pixels - 1);
                at[p] = ((st * (q / ow) + shift) * wpd + st * (q % ow) + shift) * c;
            }
        }
    }

    /** Per-thread buffers: an image's tiles (one float apart, see {@link #panels}), the image copied channels last. */
    private static final class Buffers {
        float[] tiles = new float[0];
        float[] image = new float[0];
        /** A depth block's sums, before they are added to the tiles (1×1 projections in depth blocks). */
        float[] part = new float[0];

        float[] part(int size) {
            if (part.length < size) {
                part = new float[size];
            }
            return part;
        }

        float[] tiles(int count) {
            int size = count * (PR * Gemm.NR + 1);
            if (tiles.length < size) {
                tiles = new float[size];
            }
            return tiles;
        }

        float[] image(int size) {
            if (image.length < size) {
                image = new float[size];
            }
            return image;
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /**
     * Units [lo, hi) of one image, from its channels-last copy xh: unit u is tile group
     * u mod groups of weight panel u / groups (NR output channels). Each panel is taken kernel
     * row by kernel row (a chunk of kw·C·NR weights, ≤ 196 KB for ResNet's 3×3 convolutions),
     * all of the range's tiles in that panel meeting each chunk in turn with their sums kept in
     * {@code tiles}, so that the chunk stays in L2 while they read it. (Touching the next
     * chunk's cache lines meanwhile, to stream it in from memory, was tried: the extra read in
     * the kernel's loop cost more than it saved, 3.5–4.4 % of a batch-1 forward.)
     */
    private static void units(Geometry g, float[] xh, int xOff, float[] wp, int lo, int hi, float[] bias,
                              float[] residual, boolean relu, float[] y, int yOff, float[] tiles, boolean padded,
                              int kc0) {
        if (GROUP_MAJOR && g.groupMajor) {
            // unit u is panel u mod panels of tile group u / panels: a group's input stays in
            // L1 and L2 while every panel meets it, the weights (the smaller operand here) in L2
            for (int u = lo; u < hi; ) {
                int q = u / g.panels;
                int j0 = u % g.panels;
                int j1 = Math.min(g.panels, j0 + hi - u);
                int t0 = q * g.groupTiles;
                int t1 = Math.min(g.tiles, t0 + g.groupTiles);
                for (int j = j0; j < j1; j++) {
                    panel(g, xh, xOff, wp, j, t0, t1, bias, residual, relu, y, yOff, tiles, padded, kc0);
                }
                u += j1 - j0;
            }
            return;
        }
        for (int j = lo / g.groups; j * g.groups < hi; j++) {
            int t0 = Math.max(lo - j * g.groups, 0) * g.groupTiles;
            int t1 = Math.min(g.tiles, Math.min(hi - j * g.groups, g.groups) * g.groupTiles);
            panel(g, xh, xOff, wp, j, t0, t1, bias, residual, relu, y, yOff, tiles, padded, kc0);
        }
    }

    /** Tiles [t0, t1) of weight panel j (output channels [j·NR, j·NR + NR)): their sums, then the epilogue. */
    private static void panel(Geometry g, float[] xh, int xOff, float[] wp, int j, int t0, int t1, float[] bias,
                              float[] residual, boolean relu, float[] y, int yOff, float[] tiles, boolean padded,
                              int kc0) {
        int nr = Gemm.NR;
        // one float more than a tile, so that the tiles' rows do not all fall on the same cache
        // sets: with tiles exactly PR·NR floats apart the batch-1 forward was 2–2.5 % slower
        int tileSize = PR * nr + 1;
        int run = g.run;
        int rows = g.rowAt.length;
        int chunk = run * nr;
        int[] at = g.at;
        int o0 = j * nr;
        int on = Math.min(nr, g.s.outC() - o0);
        int w0 = wp.length - g.panels * rows * chunk; // the packer's offset (Align)
        if (kc0 < run) {
            // a 1×1 kernel in depth blocks
            tilesInBlocks(run, kc0, xOff, xh, at, t0, t1, wp, w0 + j * chunk, tiles, 0, tileSize,
                    BUFFERS.get().part(t1 * tileSize));
        } else {
            for (int ki = 0; ki < rows; ki++) {
                tiles(run, xOff + g.rowAt[ki], xh, at, t0, t1, wp, w0 + (j * rows + ki) * chunk, tiles, 0, tileSize,
                        ki > 0);
            }
        }
        for (int t = t0; t < t1; t++) {
            int p0 = t * PR;
            if (padded) {
                storePadded(g, tiles, t * tileSize, Math.min(PR, g.pixels - p0), on, o0, p0, bias, residual,
                        relu, y, yOff);
                continue;
            }
            store(tiles, t * tileSize, Math.min(PR, g.pixels - p0), on, o0, p0, g.pixels, bias, residual, relu,
                    y, yOff);
        }
    }

    /**
     * Tiles [t0, t1) (PR pixels each, pixel p's run at {@code x[r0 + at[p]]}) against one
     * weight chunk at wi, {@code run} steps deep, into {@code out} at {@code base + t·tileSize}
     * (added to what is there if {@code add}): two tiles at a time where {@link #PAIRS}, the
     * rest one at a time. The same sums either way.
     */
    static void tiles(int run, int r0, float[] x, int[] at, int t0, int t1, float[] wp, int wi, float[] out,
                      int base, int tileSize, boolean add) {
        int t = t0;
        if (PAIRS) {
            for (; t + 1 < t1; t += 2) {
                GemmVectorKernel.kernelPixelPair(run, r0, x, at, t * PR, wp, wi, out, base + t * tileSize,
                        base + (t + 1) * tileSize, add);
            }
        }
        for (; t < t1; t++) {
            int p0 = t * PR;
            GemmVectorKernel.kernelPixels(run, r0, x, at[p0], at[p0 + 1], at[p0 + 2], at[p0 + 3], at[p0 + 4],
                    at[p0 + 5], at[p0 + 6], wp, wi, out, base + t * tileSize, add);
        }
    }

    /**
     * As {@link #tiles} (from zero), the run summed in depth blocks of kc0 as {@link Gemm} sums
     * a product deeper than {@link Gemm#KC} ({@link Gemm#depthBlock}): each block's sums from
     * zero into {@code part} (laid out as {@code out} from {@code base}), then added to the
     * blocks' before, in order. One block ({@code kc0 ≥ run}) is {@link #tiles} itself.
     */
    static void tilesInBlocks(int run, int kc0, int r0, float[] x, int[] at, int t0, int t1, float[] wp, int wi,
                              float[] out, int base, int tileSize, float[] part) {
        tiles(Math.min(kc0, run), r0, x, at, t0, t1, wp, wi, out, base, tileSize, false);
        for (int pc = kc0; pc < run; pc += kc0) {
            tiles(Math.min(kc0, run - pc), r0 + pc, x, at, t0, t1, wp, wi + pc * Gemm.NR, part, 0, tileSize, false);
            for (int i = t0 * tileSize; i < t1 * tileSize; i++) {
                out[base + i] += part[i];
            }
        }
    }

    /** Rows [r0, r1) of the zero-padded image, channels last: xh[(r·Wp + col)·C + c]. */
    static void channelsLast(Convolution.Shape s, float[] x, int xOff, int r0, int r1, float[] xh) {
        channelsLast(s, x, xOff, r0, r1, xh, 0);
    }

    /** As above, the copy starting at xh[dOff]. */
    static void channelsLast(Convolution.Shape s, float[] x, int xOff, int r0, int r1, float[] xh, int dOff) {
        int c = s.c();
        int h = s.h();
        int w = s.w();
        int pad = s.pad();
        int wpd = w + 2 * pad;
        int[] offsets = GATHER && Gemm.vectorInUse() && c % GemmVectorKernel.L == 0
                ? GemmVectorKernel.gatherOffsets(h * w) : null;
        for (int r = r0; r < r1; r++) {
            int row = dOff + r * wpd * c;
            int iy = r - pad;
            if (iy < 0 || iy >= h) {
                java.util.Arrays.fill(xh, row, row + wpd * c, 0f);
                continue;
            }
            java.util.Arrays.fill(xh, row, row + pad * c, 0f);
            java.util.Arrays.fill(xh, row + (pad + w) * c, row + wpd * c, 0f);
            if (offsets != null) {
                // a vector's worth of channels at a time, gathered
                for (int c0 = 0; c0 < c; c0 += offsets.length) {
                    GemmVectorKernel.gatherColumns(x, xOff + (c0 * h + iy) * w, w, offsets, xh, row + pad * c + c0, c);
                }
                continue;
            }
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

    /** y[o0 + o, p0 + r] = epilogue(tile[ti + r·NR + o]) for r < pr, o < on. */
    private static void store(float[] tile, int ti, int pr, int on, int o0, int p0, int pixels, float[] bias,
                              float[] residual, boolean relu, float[] y, int yOff) {
        int nr = Gemm.NR;
        for (int o = 0; o < on; o++) {
            float b = bias == null ? 0f : bias[o0 + o];
            int d = yOff + (o0 + o) * pixels + p0;
            for (int r = 0; r < pr; r++) {
                float v = tile[ti + r * nr + o] + b;
                if (residual != null) {
                    v += residual[d + r];
                }
                y[d + r] = relu ? Math.max(v, 0f) : v;
            }
        }
    }

    /**
     * One tile into y in the padded channels-last layout: pixel p0 + r, channels [o0, o0 + on),
     * the same operations as {@link #store} (+ bias, + residual, ReLU), a run of channels per pixel.
     */
    private static void storePadded(Geometry g, float[] tile, int ti, int pr, int on, int o0, int p0, float[] bias,
                                    float[] residual, boolean relu, float[] y, int yOff) {
        int nr = Gemm.NR;
        int ow = g.s.ow();
        int outC = g.s.outC();
        for (int r = 0; r < pr; r++) {
            int q = p0 + r;
            int d = yOff + ((q / ow + 1) * (ow + 2) + q % ow + 1) * outC + o0;
            if (on == nr) {
                GemmVectorKernel.storeChannels(tile, ti + r * nr, bias, o0, residual, relu, y, d);
                continue;
            }
            for (int o = 0; o < on; o++) {
                float v = tile[ti + r * nr + o] + (bias == null ? 0f : bias[o0 + o]);
                if (residual != null) {
                    v += residual[d + o];
                }
                y[d + o] = relu ? Math.max(v, 0f) : v;
            }
        }
    }
}
