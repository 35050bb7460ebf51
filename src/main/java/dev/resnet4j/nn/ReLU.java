package dev.resnet4j.nn;

import dev.resnet4j.kernels.Elementwise;
import dev.resnet4j.tensor.Tensor;

/** max(0, x). Keeps its output to mask the gradient. */
public final class ReLU extends Module {
    private Tensor output;

    @Override
    public Tensor forward(Tensor x) {
        float[] xd = x.data();
        Tensor y = Tensor.zeros(x.shape());
        float[] yd = y.data();
        Elementwise.relu(xd, yd, xd.length);
        output = y;
        return y;
    }

    @Override
    public Tensor backward(Tensor gradOutput) {
        return maskedGrad(output, gradOutput);
    }

    /** dy where the ReLU output was positive, 0 elsewhere (PyTorch's threshold_backward). */
    static Tensor maskedGrad(Tensor output, Tensor gradOutput) {
        float[] o = output.data();
        float[] g = gradOutput.data();
        Tensor dx = Tensor.zeros(output.shape());
        float[] d = dx.data();
        Elementwise.reluMask(o, g, d, o.length);
        return dx;
    }

    @Override
    public String toString() {
        return "ReLU(inplace=True)";
    }
}
