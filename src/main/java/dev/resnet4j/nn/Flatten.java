package dev.resnet4j.nn;

import dev.resnet4j.tensor.Tensor;

/** {@code torch.flatten(x, 1)}: [N, ...] to [N, rest]; a view, so no copy either way. */
public final class Flatten extends Module {
    private int[] inShape;

    @Override
    public int[] outputShape(int[] in) {
        return new int[]{in[0], (int) (Tensor.numel(in) / in[0])};
    }

    @Override
    public Tensor forward(Tensor x) {
        inShape = x.shape();
        return x.reshape(outputShape(inShape));
    }

    @Override
    public Tensor backward(Tensor gradOutput) {
        return gradOutput.reshape(inShape);
    }

    @Override
    public String toString() {
        return "Flatten(start_dim=1, end_dim=-1)";
    }
}
