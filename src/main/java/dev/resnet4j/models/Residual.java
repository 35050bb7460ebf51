package dev.resnet4j.models;

import dev.resnet4j.kernels.Elementwise;
import dev.resnet4j.nn.Module;
import dev.resnet4j.tensor.Tensor;

/**
 * The part both blocks share: {@code relu(main(x) + shortcut(x))}, where the shortcut is
 * the identity or the block's {@code downsample} projection. Forward and backward of the
 * add and the final ReLU live here, fused.
 */
abstract class Residual extends Module {
    protected final Module downsample;
    private Tensor output;

    Residual(Module downsample) {
        this.downsample = downsample;
    }

    /** The residual branch F(x). */
    protected abstract Tensor forwardMain(Tensor x);

    /** Backward of the residual branch: gradient w.r.t. x given the gradient w.r.t. F(x). */
    protected abstract Tensor backwardMain(Tensor grad);

    @Override
    public final Tensor forward(Tensor x) {
        Tensor out = forwardMain(x);
        Tensor identity = downsample != null ? downsample.forward(x) : x;
        if (!out.sameShape(identity)) {
            throw new IllegalStateException("residual shapes differ: " + out.shapeString() + " vs " + identity.shapeString());
        }
        float[] o = out.data();
        float[] r = identity.data();
        Elementwise.addRelu(o, r, o.length);
        output = out;
        return out;
    }

    @Override
    public final Tensor backward(Tensor gradOutput) {
        float[] o = output.data();
        float[] g = gradOutput.data();
        Tensor masked = outputBuffer(0, output.shape()); // every element is written
        float[] m = masked.data();
        Elementwise.reluMask(o, g, m, o.length);
        Tensor dx = backwardMain(masked);
        Tensor dShortcut = downsample != null ? downsample.backward(masked) : masked;
        float[] d = dx.data();
        float[] s = dShortcut.data();
        Elementwise.addInPlace(d, s, d.length);
        return dx;
    }

    @Override
    public int[] outputShape(int[] in) {
        return mainShape(in);
    }

    protected abstract int[] mainShape(int[] in);
}
