package dev.resnet4j.cli;

import dev.resnet4j.io.Npy;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.nn.Functional;
import dev.resnet4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Batch inference from .npy to .npy, in eval mode. */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = "Run a float32 NCHW batch from .npy through the model (eval mode); write logits or probabilities as .npy.")
final class InferCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;
    @Mixin
    CommonOptions common;

    @Mixin
    WeightsOption weightsOption;

    @Option(names = {"--input", "-i"}, required = true, description = "Input batch: float32 .npy of shape [N, C, H, W].")
    Path input;

    @Option(names = {"--output", "-o"}, required = true, description = "Output .npy: float32 [N, num_classes].")
    Path output;

    @Option(names = "--probabilities", description = "Write softmax probabilities instead of logits.")
    boolean probabilities;

    @Option(names = "--batch-size", defaultValue = "16", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() throws Exception {
        common.apply();
        ResNet m = model.load(weightsOption.path);
        m.eval();
        Tensor x = Npy.readFloat(input);
        int c = m.inChannels();
        if (x.rank() != 4 || x.dim(1) != c) {
            throw new IllegalArgumentException(input + ": shape " + x.shapeString() + " does not fit the model, which expects [N, "
                    + c + ", H, W]");
        }
        Tensor out = run(m, x, batchSize, probabilities);
        Npy.write(out, output);
        System.out.printf("wrote %s: %s %s%n", output, probabilities ? "probabilities" : "logits", out.shapeString());
        return 0;
    }

    /** Forward in chunks of {@code batchSize} images; returns [N, classes]. */
    static Tensor run(ResNet m, Tensor x, int batchSize, boolean probabilities) {
        int n = x.dim(0);
        int per = x.size() / Math.max(1, n);
        int classes = m.numClasses;
        Tensor out = Tensor.zeros(n, classes);
        for (int start = 0; start < n; start += batchSize) {
            int b = Math.min(batchSize, n - start);
            float[] chunk = new float[b * per];
            System.arraycopy(x.data(), start * per, chunk, 0, chunk.length);
            Tensor logits = m.forward(new Tensor(chunk, b, x.dim(1), x.dim(2), x.dim(3)));
            if (probabilities) {
                logits = Functional.softmax(logits);
            }
            System.arraycopy(logits.data(), 0, out.data(), start * classes, b * classes);
        }
        return out;
    }
}
