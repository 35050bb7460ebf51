package dev.resnet4j.nn;

import dev.resnet4j.kernels.Pooling;
import dev.resnet4j.tensor.Parallel;
import dev.resnet4j.tensor.Tensor;

/**
 * PyTorch's {@code nn.MaxPool2d(kernel, stride, padding)}: padding counts as −∞, ties go to
 * the first maximum in row-major window order, and the gradient flows to that position only.
 * Loops: {@link Pooling}.
 */
public final class MaxPool2d extends Module {
    public final int kernelSize;
    public final int stride;
    public final int padding;
    private int[] argmax;
    private int[] inShape;
    private Tensor input;

    public MaxPool2d(int kernelSize, int stride, int padding) {
        if (padding * 2 > kernelSize) {
            throw new IllegalArgumentException("MaxPool2d: padding should be at most half of kernel size");
        }
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public int[] outputShape(int[] in) {
        return new int[]{in[0], in[1], out(in[2]), out(in[3])};
    }

    private int out(int size) {
        // floor mode, PyTorch's rule: the quotient rounded down, not toward zero (a 2×2 input to
        // MaxPool2d(3, 2) has no output, which PyTorch refuses)
        return Pooling.outSize(size, kernelSize, stride, padding);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("MaxPool2d expects [N, C, H, W], got " + x.shapeString());
        }
        int planes = x.dim(0) * x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        int oh = out(h);
        int ow = out(w);
        if (oh <= 0 || ow <= 0) {
            throw new IllegalArgumentException("MaxPool2d: input " + x.shapeString() + " is too small");
        }
        Tensor y = outputBuffer(0, x.dim(0), x.dim(1), oh, ow); // every element is written
        if (training) {
            if (argmax == null || argmax.length != y.size()) {
                argmax = new int[y.size()];
            }
            Pooling.maxPoolWithArgmax(x.data(), planes, h, w, kernelSize, stride, padding, y.data(), argmax);
        } else {
            // values only; a backward after an eval forward (Grad-CAM) finds the maxima then
            Pooling.maxPool(x.data(), planes, h, w, kernelSize, stride, padding, y.data());
            argmax = null;
        }
        input = x;
        inShape = x.shape();
        return y;
    }

    @Override
    public Tensor backward(Tensor gradOutput) {
        if (argmax == null) {
            argmax = new int[gradOutput.size()];
            Pooling.maxPoolWithArgmax(input.data(), inShape[0] * inShape[1], inShape[2], inShape[3], kernelSize, stride,
                    padding, null, argmax);
        }
        Tensor dx = zeroedOutputBuffer(1, inShape); // scatter-added into
        float[] d = dx.data();
        float[] g = gradOutput.data();
        int planes = inShape[0] * inShape[1];
        int hw = inShape[2] * inShape[3];
        int ohw = g.length / planes;
        Parallel.forRange(planes, 4, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                for (int j = 0; j < ohw; j++) {
                    d[pl * hw + argmax[pl * ohw + j]] += g[pl * ohw + j];
                }
            }
        });
        return dx;
    }

    @Override
    public String toString() {
        return "MaxPool2d(kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding + ")";
    }
}
