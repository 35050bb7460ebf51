package dev.resnet4j.nn;

import dev.resnet4j.tensor.Tensor;

/**
 * PyTorch's {@code nn.AdaptiveAvgPool2d((oh, ow))}: output cell i covers input rows
 * [floor(i·H/oh), ceil((i+1)·H/oh)), so any input size maps to the requested output size.
 */
public final class AdaptiveAvgPool2d extends Module {
    public final int outH;
    public final int outW;
    private int[] inShape;

    public AdaptiveAvgPool2d(int outH, int outW) {
        this.outH = outH;
        this.outW = outW;
    }

    @Override
    public int[] outputShape(int[] in) {
        return new int[]{in[0], in[1], outH, outW};
    }

    private static int start(int i, int in, int out) {
        return (int) Math.floor((double) i * in / out);
    }

    private static int end(int i, int in, int out) {
        return (int) Math.ceil((double) (i + 1) * in / out);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d expects [N, C, H, W], got " + x.shapeString());
        }
        int planes = x.dim(0) * x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        Tensor y = Tensor.zeros(x.dim(0), x.dim(1), outH, outW);
        float[] xd = x.data();
        float[] yd = y.data();
        for (int pl = 0; pl < planes; pl++) {
            for (int oy = 0; oy < outH; oy++) {
                int ys = start(oy, h, outH);
                int ye = end(oy, h, outH);
                for (int ox = 0; ox < outW; ox++) {
                    int xs = start(ox, w, outW);
                    int xe = end(ox, w, outW);
                    float sum = 0f;
                    for (int iy = ys; iy < ye; iy++) {
                        for (int ix = xs; ix < xe; ix++) {
                            sum += xd[pl * h * w + iy * w + ix];
                        }
                    }
                    yd[(pl * outH + oy) * outW + ox] = sum / ((ye - ys) * (xe - xs));
                }
            }
        }
        inShape = x.shape();
        return y;
    }

    @Override
    public Tensor backward(Tensor gradOutput) {
        Tensor dx = Tensor.zeros(inShape);
        float[] d = dx.data();
        float[] g = gradOutput.data();
        int planes = inShape[0] * inShape[1];
        int h = inShape[2];
        int w = inShape[3];
        for (int pl = 0; pl < planes; pl++) {
            for (int oy = 0; oy < outH; oy++) {
                int ys = start(oy, h, outH);
                int ye = end(oy, h, outH);
                for (int ox = 0; ox < outW; ox++) {
                    int xs = start(ox, w, outW);
                    int xe = end(ox, w, outW);
                    float share = g[(pl * outH + oy) * outW + ox] / ((ye - ys) * (xe - xs));
                    for (int iy = ys; iy < ye; iy++) {
                        for (int ix = xs; ix < xe; ix++) {
                            d[pl * h * w + iy * w + ix] += share;
                        }
                    }
                }
            }
        }
        return dx;
    }

    @Override
    public String toString() {
        return "AdaptiveAvgPool2d(output_size=(" + outH + ", " + outW + "))";
    }
}
