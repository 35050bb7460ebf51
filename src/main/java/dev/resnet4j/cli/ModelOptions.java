package dev.resnet4j.cli;

import dev.resnet4j.io.StateDicts;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.ResNets;
import dev.resnet4j.nn.Module;
import dev.resnet4j.tensor.Tensor;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** The options every command that builds a model shares. */
final class ModelOptions {
    @Option(names = "--arch", defaultValue = "resnet18",
            description = "Architecture: resnet18, resnet34, resnet50, resnet101 or resnet152 (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--num-classes", defaultValue = "1000", description = "Number of output classes (default: ${DEFAULT-VALUE}).")
    int numClasses;

    @Option(names = "--grayscale", description = "One input channel instead of three (the seed's grayscale flag).")
    boolean grayscale;

    ResNet build(long seed) {
        return ResNets.create(arch, numClasses, grayscale, seed);
    }

    /**
     * Builds the model and loads {@code weights} into it. Strict: a missing, unexpected or
     * wrongly shaped key fails with the file, the key and both shapes.
     */
    ResNet load(Path weights) throws IOException {
        ResNet m = build(0);
        Map<String, Tensor> state = StateDicts.load(weights);
        try {
            m.loadStateDict(state, true);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(weights + ": " + e.getMessage() + " (the model is " + arch + ", "
                    + numClasses + " classes, " + (grayscale ? "1 channel" : "3 channels") + ")");
        }
        return m;
    }

    /** Non-strict load for fine-tuning: returns what was skipped. */
    static Module.LoadReport loadLenient(ResNet m, Path weights) throws IOException {
        return m.loadStateDict(StateDicts.load(weights), false);
    }
}
