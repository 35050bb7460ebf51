package dev.resnet4j.nn;

import dev.resnet4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/** PyTorch's {@code nn.Sequential}: children named "0", "1", ...; backward runs them in reverse. */
public final class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    public Sequential add(Module m) {
        registerModule(Integer.toString(layers.size()), m);
        layers.add(m);
        return this;
    }

    public Module get(int i) {
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }

    public List<Module> layers() {
        return List.copyOf(layers);
    }

    @Override
    public Tensor forward(Tensor x) {
        for (Module m : layers) {
            x = m.forward(x);
        }
        return x;
    }

    @Override
    public Tensor backward(Tensor grad) {
        for (int i = layers.size() - 1; i >= 0; i--) {
            grad = layers.get(i).backward(grad);
        }
        return grad;
    }

    @Override
    public int[] outputShape(int[] in) {
        for (Module m : layers) {
            in = m.outputShape(in);
        }
        return in;
    }
}
