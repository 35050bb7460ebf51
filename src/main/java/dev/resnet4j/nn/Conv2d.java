package dev.resnet4j.nn;

import dev.resnet4j.kernels.Convolution;
import dev.resnet4j.tensor.Tensor;

/**
 * PyTorch's {@code nn.Conv2d} (groups = 1, dilation = 1): weight [out, in, kh, kw], optional
 * bias. ResNet uses it without bias, since a BatchNorm follows.
 */
public final class Conv2d extends Module {
    public final int inChannels;
    public final int outChannels;
    public final int kernelSize;
    public final int stride;
    public final int padding;
    public final Parameter weight;
    public final Parameter bias;
    private Tensor input;
    /** The lowered input of the last forward, reused by backward (small maps, within a budget). */
    private final Convolution.Saved lowered = new Convolution.Saved();

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, boolean bias) {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || stride <= 0 || padding < 0) {
            throw new IllegalArgumentException("bad Conv2d(" + inChannels + ", " + outChannels + ", k=" + kernelSize
                    + ", s=" + stride + ", p=" + padding + ")");
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
        this.weight = registerParameter("weight", Tensor.zeros(outChannels, inChannels, kernelSize, kernelSize));
        this.bias = bias ? registerParameter("bias", Tensor.zeros(outChannels)) : null;
    }

    private Convolution.Shape geometry(Tensor x) {
        if (x.rank() != 4 || x.dim(1) != inChannels) {
            throw new IllegalArgumentException("Conv2d expects input [N, " + inChannels + ", H, W], got " + x.shapeString());
        }
        Convolution.Shape s = new Convolution.Shape(x.dim(0), inChannels, x.dim(2), x.dim(3), outChannels,
                kernelSize, kernelSize, stride, padding);
        if (x.dim(2) + 2 * padding < kernelSize || x.dim(3) + 2 * padding < kernelSize) {
            throw new IllegalArgumentException("input " + x.shapeString() + " is smaller than the " + kernelSize + "x"
                    + kernelSize + " kernel (padding " + padding + ")");
        }
        return s;
    }

    @Override
    public Tensor forward(Tensor x) {
        Convolution.Shape s = geometry(x);
        Tensor y = outputBuffer(0, s.n(), outChannels, s.oh(), s.ow()); // every element is written
        Convolution.forward(s, x.data(), weight.data(), bias == null ? null : bias.data(), null, false, y.data(),
                lowered);
        input = x;
        return y;
    }

    @Override
    public Tensor backward(Tensor gradOutput) {
        return backward(gradOutput, true);
    }

    /**
     * Backward that accumulates the weight (and bias) gradients and, only when
     * {@code inputGradient}, computes and returns the gradient w.r.t. the input (else null) —
     * what PyTorch skips for an input that does not require grad, such as a network's images.
     */
    public Tensor backward(Tensor gradOutput, boolean inputGradient) {
        Convolution.Shape s = geometry(input);
        Tensor dx = inputGradient ? outputBuffer(1, input.shape()) : null; // every element is written
        Convolution.backward(s, input.data(), weight.data(), gradOutput.data(), dx == null ? null : dx.data(),
                weight.requiresGrad() ? weight.grad().data() : new float[weight.size()],
                bias == null ? null : bias.grad().data(), lowered);
        return dx;
    }

    @Override
    public int[] outputShape(int[] in) {
        return new int[]{in[0], outChannels, (in[2] + 2 * padding - kernelSize) / stride + 1,
                (in[3] + 2 * padding - kernelSize) / stride + 1};
    }

    @Override
    public String toString() {
        return "Conv2d(" + inChannels + ", " + outChannels + ", kernel_size=(" + kernelSize + ", " + kernelSize
                + "), stride=(" + stride + ", " + stride + ")" + (padding > 0 ? ", padding=(" + padding + ", " + padding + ")" : "")
                + (bias == null ? ", bias=False" : "") + ")";
    }
}
