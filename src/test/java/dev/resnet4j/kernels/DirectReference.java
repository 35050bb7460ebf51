package dev.resnet4j.kernels;

/** The plain double-precision convolution the fast paths' tests compare against. */
final class DirectReference {
    private DirectReference() {
    }

    /**
     * y = conv(x, w) + bias (+ residual), then ReLU if {@code relu}, summed in double in the
     * order channel, kernel row, kernel column; bias and residual may be null.
     */
    static double[] conv(Convolution.Shape s, float[] x, float[] w, float[] bias, float[] residual, boolean relu) {
        int oh = s.oh();
        int ow = s.ow();
        double[] y = new double[s.n() * s.outC() * oh * ow];
        for (int n = 0; n < s.n(); n++) {
            for (int o = 0; o < s.outC(); o++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double v = bias == null ? 0 : bias[o];
                        for (int c = 0; c < s.c(); c++) {
                            for (int ki = 0; ki < s.kh(); ki++) {
                                int iy = oy * s.stride() + ki - s.pad();
                                if (iy < 0 || iy >= s.h()) {
                                    continue;
                                }
                                for (int kj = 0; kj < s.kw(); kj++) {
                                    int ix = ox * s.stride() + kj - s.pad();
                                    if (ix >= 0 && ix < s.w()) {
                                        v += (double) x[((n * s.c() + c) * s.h() + iy) * s.w() + ix]
                                                * w[((o * s.c() + c) * s.kh() + ki) * s.kw() + kj];
                                    }
                                }
                            }
                        }
                        int yi = ((n * s.outC() + o) * oh + oy) * ow + ox;
                        if (residual != null) {
                            v += residual[yi];
                        }
                        y[yi] = relu ? Math.max(v, 0) : v;
                    }
                }
            }
        }
        return y;
    }

}
