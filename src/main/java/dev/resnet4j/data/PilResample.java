package dev.resnet4j.data;

/**
 * Pillow's bilinear resize ({@code Image.resize(size, Image.BILINEAR)}, which torchvision's
 * {@code Resize} calls on PIL images), reproduced to the bit.
 *
 * <p>Unlike textbook bilinear interpolation, Pillow convolves with the triangle filter scaled by
 * the downscale factor: when shrinking by a factor s the filter's support grows from 1 to s
 * pixels, so every source pixel contributes (antialiasing). It separates the two axes,
 * horizontal pass first, each pass rounding to 8 bits, with weights normalised per output pixel
 * in double precision and then converted to 22-bit fixed point. We follow that arithmetic step
 * by step (Pillow's {@code libImaging/Resample.c}) so results equal Pillow's exactly.
 */
public final class PilResample {
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PilResample() {
    }

    /** Weights for one axis: output i reads {@code len[i]} inputs from {@code start[i]}. */
    private record Coefficients(int ksize, int[] start, int[] len, int[] weights) {
    }

    public static ByteImage bilinear(ByteImage in, int outHeight, int outWidth) {
        if (outHeight < 1 || outWidth < 1) {
            throw new IllegalArgumentException("cannot resize to " + outHeight + "x" + outWidth);
        }
        if (outHeight == in.height() && outWidth == in.width()) {
            return in;
        }
        int c = in.channels();
        byte[] src = in.data();
        int h = in.height();
        int w = in.width();
        Coefficients vert = coefficients(h, outHeight);
        // Pillow only resamples horizontally the rows the vertical pass will read.
        int firstRow = vert.start[0];
        int lastRow = vert.start[outHeight - 1] + vert.len[outHeight - 1];
        byte[] mid = src;
        int midRows = h;
        int rowOffset = 0;
        if (outWidth != w) {
            Coefficients horiz = coefficients(w, outWidth);
            midRows = lastRow - firstRow;
            rowOffset = firstRow;
            mid = new byte[c * midRows * outWidth];
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < midRows; y++) {
                    int inRow = (ch * h + y + firstRow) * w;
                    int outRow = (ch * midRows + y) * outWidth;
                    for (int x = 0; x < outWidth; x++) {
                        int ss = 1 << (PRECISION_BITS - 1);
                        int k = x * horiz.ksize;
                        int s0 = horiz.start[x];
                        for (int j = 0; j < horiz.len[x]; j++) {
                            ss += (src[inRow + s0 + j] & 0xff) * horiz.weights[k + j];
                        }
                        mid[outRow + x] = clip8(ss);
                    }
                }
            }
            w = outWidth;
        }
        if (outHeight == h) {
            return new ByteImage(c, outHeight, outWidth, mid);
        }
        byte[] out = new byte[c * outHeight * outWidth];
        for (int ch = 0; ch < c; ch++) {
            int plane = ch * midRows * w;
            for (int y = 0; y < outHeight; y++) {
                int k = y * vert.ksize;
                int s0 = vert.start[y] - rowOffset;
                int outRow = (ch * outHeight + y) * outWidth;
                for (int x = 0; x < outWidth; x++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int j = 0; j < vert.len[y]; j++) {
                        ss += (mid[plane + (s0 + j) * w + x] & 0xff) * vert.weights[k + j];
                    }
                    out[outRow + x] = clip8(ss);
                }
            }
        }
        return new ByteImage(c, outHeight, outWidth, out);
    }

    private static Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 1.0 * filterScale; // the triangle filter's support is 1
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] start = new int[outSize];
        int[] len = new int[outSize];
        int[] weights = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                double wgt = triangle((x + xmin - center + 0.5) * ss);
                k[x] = wgt;
                ww += wgt;
            }
            for (int x = 0; x < xmax; x++) {
                double normalised = ww == 0.0 ? k[x] : k[x] / ww;
                weights[xx * ksize + x] = normalised < 0
                        ? (int) (-0.5 + normalised * (1 << PRECISION_BITS))
                        : (int) (0.5 + normalised * (1 << PRECISION_BITS));
            }
            start[xx] = xmin;
            len[xx] = xmax;
        }
        return new Coefficients(ksize, start, len, weights);
    }

    private static double triangle(double x) {
        x = Math.abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static byte clip8(int v) {
        if (v >= (1 << PRECISION_BITS << 8)) {
            return (byte) 255;
        }
        if (v <= 0) {
            return 0;
        }
        return (byte) (v >> PRECISION_BITS);
    }
}
