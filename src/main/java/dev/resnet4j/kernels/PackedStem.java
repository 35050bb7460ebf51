package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

import java.util.concurrent.atomic.AtomicLong;

/**
 * ResNet's stem in inference (a convolution with BN folded in, ReLU, then a max-pool: 7×7/2 and
 * 3×3/2 in ResNet) with the output channels in the vector lanes, writing the padded
 * channels-last layout the blocks after it read ({@link PackedConv#toPadded}): the pool and the
 * epilogue become maxima of whole vectors, and the first block reads the result in place.
 *
 * <p>The product is {@link PackedConv}'s pixel kernels with the whole window as one run: for
 * each output row, the input rows its windows read are laid out column by column
 * ({@code strip[(col·kh + ki)·C + c]}, zero padding included), so that the kh·kw·C inputs of
 * every output pixel's window are one run of the strip (147 at ResNet's stem, against 21 per
 * kernel row in the image's own channels-last layout, where the sums would go to memory and
 * back between the kernel rows). Each output row is cut into tiles of
 * {@link GemmVectorKernel#PR} pixels (the last tile of a row repeats its last pixel) that meet
 * the weights ({@link #pack}, in the same order) in {@link PackedConv#tiles}. Each product row
 * goes into a ring of as many rows as the pool's window has, and each pooled row is reduced
 * from the ring as soon as its window's rows are there: the convolution's own output (3.2 MB an
 * image at 224 px) is never written.
 *
 * <p>Sums: output (oy, ox, o) is the chain {@code acc = fma(x, w, acc)} from +0 over the kernel
 * columns, then the kernel rows, then the input channels (padding included, as zeros); then the
 * window's maximum, + bias, ReLU ({@code max(relu(g + b)) = relu(max(g) + b)}, as in
 * {@link ConvMaxPool}). {@code PackedStemTest} checks this bit for bit against that definition
 * in plain Java. It is another order than {@link ConvMaxPool}'s lowered product (input channel
 * first), so the two differ by rounding; the folded forward uses one of them whatever layout
 * follows, so its logits do not depend on the layout.
 */
public final class PackedStem {
    private PackedStem() {
    }

    /** Whether the folded forward runs its stem here; {@code -Dresnet4j.stem.packed=false}, tests flip it. */
    public static boolean ON = !"false".equals(System.getProperty("resnet4j.stem.packed"));

    private static final int PR = GemmVectorKernel.PR;

    /**
     * w [outC, C, kh, kw] as {@link PackedConv#pack}'s NR-channel panels in this kernel's order:
     * {@code wp[(j·K + (kj·kh + ki)·C + c)·NR + o] = w[j·NR + o, c, ki, kj]}, K = C·kh·kw.
     */
    public static float[] pack(float[] w, int outC, int c, int kh, int kw) {
        float[] t = new float[w.length];
        for (int o = 0; o < outC; o++) {
            for (int ci = 0; ci < c; ci++) {
                int base = (o * c + ci) * kh * kw;
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++) {
                        t[base + kj * kh + ki] = w[base + ki * kw + kj];
                    }
                }
            }
        }
        return PackedConv.pack(t, outC, c, kh * kw);
    }

    /**
     * Whether this form takes the convolution s followed by a max-pool of kernel pk, stride ps,
     * padding pp (floor mode): the vector kernel in use, whole vectors of output channels, a
     * pool whose padding is at most half its kernel (PyTorch's own limit) and a non-empty result.
     */
    public static boolean applies(Convolution.Shape s, int pk, int ps, int pp) {
        if (!ON || !Gemm.vectorInUse() || s.outC() % GemmVectorKernel.L != 0 || pk < 1 || ps < 1 || 2 * pp > pk
                || s.oh() <= 0 || s.ow() <= 0) {
            return false;
        }
        return Pooling.outSize(s.oh(), pk, ps, pp) > 0 && Pooling.outSize(s.ow(), pk, ps, pp) > 0;
    }

    /**
     * y = maxpool(relu(conv(x, w) + bias)) (ReLU if {@code relu}) for x [n, C, H, W], with
     * {@code wp} = {@link #pack}(w, outC, C, kh, kw), into y [n, PH + 2, PW + 2, outC]:
     * the padded channels-last layout; y's border is not written (zero in a fresh buffer).
     * Callers check {@link #applies} first.
     */
    public static void forward(Convolution.Shape s, float[] x, float[] wp, float[] bias, boolean relu, int pk,
                               int ps, int pp, float[] y) {
        if (!applies(s, pk, ps, pp)) {
            throw new IllegalArgumentException("packed stem: does not apply to " + s + " with pool " + pk + "/" + ps
                    + "/" + pp);
        }
        Geometry g = GEOMETRIES.computeIfAbsent(new Key(new Convolution.Shape(1, s.c(), s.h(), s.w(), s.outC(),
                s.kh(), s.kw(), s.stride(), s.pad()), pk, ps, pp, TILE_PAD), Geometry::new);
        int inSize = s.c() * s.h() * s.w();
        int outSize = PackedConv.paddedSize(1, s.outC(), g.ph, g.pw);
        int y0 = PackedConv.paddedOffset(y, s.n(), s.outC(), g.ph, g.pw, "y");
        if (s.n() >= Parallel.threads()) {
            // whole images a worker
            Parallel.forRangeBalanced(s.n(), 1, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    g.pooledRows(x, i * inSize, wp, bias, relu, y, y0 + i * outSize, 0, g.ph, IMAGES.incrementAndGet());
                }
            });
            return;
        }
        // fewer images than workers (batch 1): the workers split each image's pooled rows, each
        // building the strips and product rows its own pooled rows read (a piece that does not
        // follow the thread's previous one computes the product row the two share again)
        for (int i = 0; i < s.n(); i++) {
            int xOff = i * inSize;
            int yOff = y0 + i * outSize;
            long image = IMAGES.incrementAndGet();
            Parallel.forRangeBalanced(g.ph, 2, (lo, hi) -> g.pooledRows(x, xOff, wp, bias, relu, y, yOff, lo, hi,
                    image));
        }
    }

    /** Numbers the calls' images, so that a thread knows whether its buffers hold rows of this one. */
    private static final AtomicLong IMAGES = new AtomicLong();

    private record Key(Convolution.Shape s, int pk, int ps, int pp, int tilePad) {
    }

    /**
     * Floats between the ring's tiles beyond PR·NR: 16, a cache line, so that the tiles do not
     * all start on the same cache sets and the pool's loads of whole vectors stay on lines (with
     * one float, as {@link PackedConv}'s tiles, most of them straddled two); tests set 1.
     */
    static int TILE_PAD = 16;

    private static final java.util.Map<Key, Geometry> GEOMETRIES = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Per thread: one output row's strip, and the ring of product rows (rows [have0, have1) of
     * image {@code image}, row r in slot r mod ring).
     */
    private static final class Buffers {
        float[] strip = new float[0];
        float[] spare = new float[0];
        /** The product row the strip is for (−1: none yet). */
        int stripRow = -1;
        float[] ring = new float[0];
        int[] rowAt = new int[0];
        int[] rows = new int[0];
        long image;
        int have0;
        int have1;
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** Sizes and offsets derived from the shape (all but the batch) and the pool. */
    private static final class Geometry {
        final Convolution.Shape s;
        final int pk;
        final int ps;
        final int pp;
        final int ph;
        final int pw;
        /** Columns of the padded input a strip holds. */
        final int wpd;
        /** Tiles per output row; values in one window (kh·kw·C); NR-channel panels. */
        final int tpr;
        final int run;
        final int panels;
        /** Floats of a tile (PR·NR + {@link #TILE_PAD}), and of a product row in the ring. */
        final int ts;
        final int rowFloats;
        /** Product rows the ring holds: a pooled row's window. */
        final int ring;
        /** Where pixel k of an output row's tiles starts its window in the row's strip. */
        final int[] at;
        /** Where column ox of a product row is in its ring slot, and each vector of channels within it. */
        final int[] colAt;
        final int[] laneAt;

        Geometry(Key k) {
            s = k.s();
            pk = k.pk();
            ps = k.ps();
            pp = k.pp();
            ph = Pooling.outSize(s.oh(), pk, ps, pp);
            pw = Pooling.outSize(s.ow(), pk, ps, pp);
            int c = s.c();
            int ow = s.ow();
            int st = s.stride();
            wpd = st * (ow - 1) + s.kw();
            tpr = (ow + PR - 1) / PR;
            run = s.kh() * s.kw() * c;
            panels = (s.outC() + Gemm.NR - 1) / Gemm.NR;
            ts = PR * Gemm.NR + k.tilePad();
            rowFloats = panels * tpr * ts;
            ring = Math.min(pk, s.oh());
            at = new int[tpr * PR];
            for (int j = 0; j < at.length; j++) {
                at[j] = st * Math.min(j, ow - 1) * s.kh() * c;
            }
            colAt = new int[ow];
            for (int ox = 0; ox < ow; ox++) {
                colAt[ox] = (ox / PR) * ts + (ox % PR) * Gemm.NR;
            }
            laneAt = new int[s.outC() / GemmVectorKernel.L];
            for (int v = 0; v < laneAt.length; v++) {
                int o = v * GemmVectorKernel.L;
                laneAt[v] = (o / Gemm.NR) * tpr * ts + o % Gemm.NR;
            }
        }

        /**
         * Pooled rows [p0, p1) of the image at x[xOff], into y at yOff: for each, the product
         * rows of its window not yet in this thread's ring (the rows it shares with the previous
         * pooled row are kept), then the window's maxima.
         */
        void pooledRows(float[] x, int xOff, float[] wp, float[] bias, boolean relu, float[] y, int yOff, int p0,
                        int p1, long image) {
            Buffers b = BUFFERS.get();
            int stripSize = (wpd + 1) * s.kh() * s.c() + GemmVectorKernel.L; // room for copyRuns' last run
            if (b.strip.length < stripSize) {
                b.strip = new float[stripSize];
                b.spare = new float[stripSize];
                b.stripRow = -1;
            }
            if (b.ring.length < 16 + ring * rowFloats) { // room for Align's offset
                b.ring = new float[16 + ring * rowFloats];
            }
            if (b.rowAt.length < s.kh() * s.c() || b.rows.length < ring) {
                b.rowAt = new int[s.kh() * s.c()];
                b.rows = new int[ring];
            }
            if (b.image != image) {
                b.image = image;
                b.have0 = b.have1 = 0;
                b.stripRow = -1;
            }
            int oh = s.oh();
            for (int p = p0; p < p1; p++) {
                int ys = Math.max(0, ps * p - pp);
                int ye = Math.min(oh, ps * p - pp + pk);
                if (ys < b.have0 || ys > b.have1) {
                    b.have0 = b.have1 = ys; // not the rows after the ones held: start afresh
                }
                for (int r = b.have1; r < ye; r++) {
                    productRow(x, xOff, r, wp, b);
                }
                b.have1 = Math.max(b.have1, ye);
                b.have0 = Math.max(b.have0, b.have1 - ring);
                pool(p, ys, ye, b, bias, relu, y, yOff);
            }
        }

        /** Product row r (all panels, before bias) into the ring's slot r mod ring. */
        private void productRow(float[] x, int xOff, int r, float[] wp, Buffers b) {
            int st = s.stride();
            int step = s.kh() * s.c();
            int move = (s.kh() - st) * s.c(); // values a column shares with the previous row's strip
            int l = GemmVectorKernel.L;
            if (r > 0 && b.stripRow == r - 1 && move > 0 && (move + l - 1) / l * l <= step) {
                // the strip moved along: each column's values of the rows it shares with the
                // previous output row's strip, then those of the new rows
                float[] old = b.strip;
                b.strip = b.spare;
                b.spare = old;
                GemmVectorKernel.copyRuns(old, st * s.c(), b.strip, 0, step, wpd, move);
                strip(x, xOff, r, b.strip, b.rowAt, s.kh() - st);
            } else {
                strip(x, xOff, r, b.strip, b.rowAt, 0);
            }
            b.stripRow = r;
            int nr = Gemm.NR;
            int w0 = wp.length - panels * run * nr; // the packer's offset (Align)
            for (int j = 0; j < panels; j++) {
                PackedConv.tiles(run, 0, b.strip, at, 0, tpr, wp, w0 + j * run * nr, b.ring,
                        Align.activations() + (r % ring) * rowFloats + j * tpr * ts, ts, false);
            }
        }

        /**
         * strip[(col·kh + ki)·C + c] = the padded input at row r·stride + ki, column col, channel
         * c, for the kernel rows ki ≥ k0 (the others are there), {@code rowAt} holding where
         * each of those input rows starts (−1 for a padding row).
         */
        private void strip(float[] x, int xOff, int r, float[] strip, int[] rowAt, int k0) {
            int c = s.c();
            int h = s.h();
            int w = s.w();
            int kh = s.kh();
            int pad = s.pad();
            int step = kh * c;
            for (int ki = k0; ki < kh; ki++) {
                int iy = r * s.stride() - pad + ki;
                for (int ci = 0; ci < c; ci++) {
                    rowAt[ki * c + ci] = iy < 0 || iy >= h ? -1 : xOff + (ci * h + iy) * w;
                }
            }
            int first = k0 * c;
            int lo = Math.min(pad, wpd);
            int hi = Math.min(wpd, pad + w);
            for (int col = 0; col < wpd; col++) {
                if (col < lo || col >= hi) {
                    java.util.Arrays.fill(strip, col * step + first, col * step + step, 0f);
                }
            }
            // input row by input row: a run of loads, stores a column apart (in L1)
            for (int k = first; k < step; k++) {
                int a = rowAt[k];
                if (a < 0) {
                    for (int col = lo, d = lo * step + k; col < hi; col++, d += step) {
                        strip[d] = 0f;
                    }
                    continue;
                }
                int src = a - pad;
                for (int col = lo, d = lo * step + k; col < hi; col++, d += step) {
                    strip[d] = x[src + col];
                }
            }
        }

        /** Pooled row p from the ring's rows [ys, ye): each pixel's window maximum, channels as vectors. */
        private void pool(int p, int ys, int ye, Buffers b, float[] bias, boolean relu, float[] y, int yOff) {
            int[] rows = b.rows;
            for (int r = ys; r < ye; r++) {
                rows[r - ys] = Align.activations() + (r % ring) * rowFloats; // the ring's rows on lines
            }
            PoolVectorKernel.poolRow(b.ring, rows, ye - ys, colAt, s.ow(), pw, pk, ps, pp, laneAt, bias, relu, y,
                    yOff + ((p + 1) * (pw + 2) + 1) * s.outC(), s.outC());
        }
    }
}
