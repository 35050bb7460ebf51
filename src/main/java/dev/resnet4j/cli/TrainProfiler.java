package dev.resnet4j.cli;

import dev.resnet4j.models.ResNet;
import dev.resnet4j.nn.AdaptiveAvgPool2d;
import dev.resnet4j.nn.BatchNorm2d;
import dev.resnet4j.nn.Conv2d;
import dev.resnet4j.nn.CrossEntropyLoss;
import dev.resnet4j.nn.Flatten;
import dev.resnet4j.nn.Linear;
import dev.resnet4j.nn.MaxPool2d;
import dev.resnet4j.nn.Module;
import dev.resnet4j.nn.ReLU;
import dev.resnet4j.nn.Sequential;
import dev.resnet4j.optim.Optimizer;
import dev.resnet4j.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A training step of a {@link ResNet} with a stopwatch around every module call, to see where
 * the time goes (bench --profile). It drives the model's own modules in the order
 * {@code ResNet.forward/backward} and the residual blocks do, so the work is the same; the
 * residual add + ReLU, which lives inside the block classes, is repeated here with the same
 * loops. MacCounterTest checks that logits and gradients equal the model's own step.
 */
final class TrainProfiler {
    /** Total nanoseconds by kind ("conv forward", "batch norm backward", ...), in first-seen order. */
    final Map<String, Long> byKind = new LinkedHashMap<>();
    /** Forward and backward nanoseconds of each convolution, by its state-dict name. */
    final Map<String, long[]> byConv = new LinkedHashMap<>();
    /** Multiply-accumulates of each convolution's forward on the batch, by its state-dict name. */
    final Map<String, Long> convMacs = new LinkedHashMap<>();
    private final Map<Module, String> names = new IdentityHashMap<>();
    private final ResNet model;
    private final Deque<UnaryOperator<Tensor>> tape = new ArrayDeque<>();
    private int steps;

    TrainProfiler(ResNet model) {
        this.model = model;
        model.namedModules().forEach((name, m) -> names.put(m, name));
    }

    int steps() {
        return steps;
    }

    void reset() {
        byKind.clear();
        byConv.clear();
        steps = 0;
    }

    /** One step: zero grad, forward, loss, backward, optimiser step. Returns the loss. */
    double step(Tensor x, int[] labels, CrossEntropyLoss loss, Optimizer opt) {
        time("optimizer zero-grad", () -> {
            opt.zeroGrad();
            return null;
        });
        Tensor logits = forward(x);
        double value = time("loss forward+backward", () -> loss.forward(logits, labels));
        Tensor g = time("loss forward+backward", loss::backward);
        backward(g);
        time("optimizer step", () -> {
            opt.step();
            return null;
        });
        steps++;
        return value;
    }

    /** The model's forward, module by module; records what {@link #backward} replays. */
    Tensor forward(Tensor x) {
        tape.clear();
        x = stemConv(model.conv1, x, tape);
        x = bnRelu(model.bn1, x, tape);
        x = module(model.maxpool, x, tape);
        for (Sequential stage : List.of(model.layer1, model.layer2, model.layer3, model.layer4)) {
            for (Module block : stage.layers()) {
                x = block(block, x, tape);
            }
        }
        x = module(model.avgpool, x, tape);
        x = module(new Flatten(), x, tape);
        return module(model.fc, x, tape);
    }

    /** The model's backward from the gradient w.r.t. the logits; returns the input gradient. */
    Tensor backward(Tensor g) {
        return replay(tape, g);
    }

    // --- the pieces -------------------------------------------------------------------------

    private static Tensor replay(Deque<UnaryOperator<Tensor>> tape, Tensor g) {
        while (!tape.isEmpty()) {
            g = tape.pop().apply(g);
        }
        return g;
    }

    private Tensor module(Module m, Tensor x, Deque<UnaryOperator<Tensor>> tape) {
        String kind = kind(m);
        Tensor y = time(kind + " forward", () -> m.forward(x), m, 0);
        if (m instanceof Conv2d c) {
            recordMacs(c, y);
        }
        tape.push(g -> time(kind + " backward", () -> m.backward(g), m, 1));
        return y;
    }

    /** A convolution's multiply-adds for its output y, for the GFLOP/s column. */
    private void recordMacs(Conv2d c, Tensor y) {
        convMacs.put(names.getOrDefault(c, "?"), (long) c.outChannels * c.inChannels * c.kernelSize * c.kernelSize
                * y.dim(0) * y.dim(2) * y.dim(3));
    }

    /** BN with its ReLU in one pass, as the model runs it ({@link BatchNorm2d#forwardRelu}). */
    private Tensor bnRelu(BatchNorm2d bn, Tensor x, Deque<UnaryOperator<Tensor>> tape) {
        Tensor y = time("batch norm + ReLU forward", () -> bn.forwardRelu(x), bn, 0);
        tape.push(g -> time("batch norm + ReLU backward", () -> bn.backwardRelu(g), bn, 1));
        return y;
    }

    /** The stem convolution: no gradient w.r.t. the images ({@link ResNet#backwardParameters}). */
    private Tensor stemConv(Conv2d conv, Tensor x, Deque<UnaryOperator<Tensor>> tape) {
        Tensor y = time("conv forward", () -> conv.forward(x), conv, 0);
        recordMacs(conv, y);
        tape.push(g -> time("conv backward", () -> conv.backward(g, false), conv, 1));
        return y;
    }

    /**
     * A residual block: its main path (the children in order without the shortcut, with a
     * ReLU after every BN but the last, as BasicBlock and Bottleneck have), the shortcut, and
     * relu(main + shortcut) with the same loops as the block's own.
     */
    private Tensor block(Module block, Tensor x, Deque<UnaryOperator<Tensor>> tape) {
        List<Module> main = new ArrayList<>();
        List<Module> shortcut = new ArrayList<>();
        for (Map.Entry<String, Module> e : block.children().entrySet()) {
            if (e.getKey().equals("downsample")) {
                Module d = e.getValue();
                shortcut.addAll(d instanceof Sequential s ? s.layers() : List.of(d));
            } else {
                main.add(e.getValue());
            }
        }
        Deque<UnaryOperator<Tensor>> mainTape = new ArrayDeque<>();
        Deque<UnaryOperator<Tensor>> shortcutTape = new ArrayDeque<>();
        Tensor y = x;
        for (int i = 0; i < main.size(); i++) {
            if (main.get(i) instanceof BatchNorm2d bn && i < main.size() - 1) {
                y = bnRelu(bn, y, mainTape); // the blocks fuse BN and the ReLU after it
            } else {
                y = module(main.get(i), y, mainTape);
            }
        }
        Tensor identity = x;
        for (Module m : shortcut) {
            identity = module(m, identity, shortcutTape);
        }
        Tensor out = y;
        Tensor r = identity;
        time("residual add+ReLU forward", () -> {
            float[] o = out.data();
            float[] rd = r.data();
            for (int i = 0; i < o.length; i++) {
                o[i] = Math.max(o[i] + rd[i], 0f);
            }
            return null;
        });
        tape.push(g -> {
            Tensor masked = time("residual add+ReLU backward", () -> {
                float[] o = out.data();
                float[] gd = g.data();
                Tensor t = Tensor.zeros(out.shape());
                float[] m = t.data();
                for (int i = 0; i < o.length; i++) {
                    m[i] = o[i] > 0f ? gd[i] : 0f;
                }
                return t;
            });
            Tensor dx = replay(mainTape, masked);
            Tensor ds = shortcut.isEmpty() ? masked : replay(shortcutTape, masked);
            return time("residual add+ReLU backward", () -> {
                float[] d = dx.data();
                float[] s = ds.data();
                for (int i = 0; i < d.length; i++) {
                    d[i] += s[i];
                }
                return dx;
            });
        });
        return out;
    }

    private String kind(Module m) {
        if (m instanceof Conv2d) {
            return "conv";
        }
        if (m instanceof BatchNorm2d) {
            return "batch norm";
        }
        if (m instanceof ReLU) {
            return "ReLU";
        }
        if (m instanceof MaxPool2d) {
            return "max-pool";
        }
        if (m instanceof AdaptiveAvgPool2d || m instanceof Flatten || m instanceof Linear) {
            return "avg-pool + fc";
        }
        return m.getClass().getSimpleName();
    }

    private <T> T time(String kind, Supplier<T> f) {
        return time(kind, f, null, 0);
    }

    private <T> T time(String kind, Supplier<T> f, Module m, int phase) {
        long t0 = System.nanoTime();
        T out = f.get();
        long dt = System.nanoTime() - t0;
        byKind.merge(kind, dt, Long::sum);
        if (m instanceof Conv2d) {
            byConv.computeIfAbsent(names.getOrDefault(m, "?"), k -> new long[2])[phase] += dt;
        }
        return out;
    }
}
