package dev.resnet4j.cli;

import dev.resnet4j.io.StateDicts;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.ResNets;
import dev.resnet4j.nn.Module;
import dev.resnet4j.tensor.Tensor;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
            throw new IllegalArgumentException(weights + ": " + e.getMessage() + "; the file holds " + describe(state)
                    + ", the model is " + arch + ", " + numClasses + " classes, " + (grayscale ? "1 channel" : "3 channels")
                    + " (set --arch, --num-classes and --grayscale to match)");
        }
        return m;
    }

    /**
     * What a state dict looks like, read from its torchvision names: the architecture from the
     * blocks per stage and whether they have a {@code conv3}, the classes from {@code fc.weight},
     * the channels from {@code conv1.weight}. Parts it cannot tell are left out.
     */
    static String describe(Map<String, Tensor> state) {
        int[] blocks = new int[4];
        boolean bottleneck = false;
        for (String k : state.keySet()) {
            Matcher mt = BLOCK_KEY.matcher(k);
            if (mt.matches()) {
                int stage = mt.group(1).charAt(0) - '1';
                blocks[stage] = Math.max(blocks[stage], Integer.parseInt(mt.group(2)) + 1);
                bottleneck |= mt.group(3).startsWith("conv3") || mt.group(3).startsWith("bn3");
            }
        }
        String layout = Arrays.toString(blocks);
        String found = LAYOUTS.get(layout + (bottleneck ? " bottleneck" : " basic"));
        List<String> parts = new ArrayList<>();
        parts.add(found != null ? found + " weights"
                : "weights with " + layout + " " + (bottleneck ? "bottleneck" : "basic") + " blocks per stage");
        Tensor fc = state.get("fc.weight");
        if (fc != null && fc.rank() == 2) {
            parts.add(fc.dim(0) + " classes");
        }
        Tensor conv1 = state.get("conv1.weight");
        if (conv1 != null && conv1.rank() == 4) {
            parts.add(conv1.dim(1) == 1 ? "1 channel" : conv1.dim(1) + " channels");
        }
        return String.join(", ", parts);
    }

    /** torchvision's blocks per stage (ResNets' factories), as written by {@link #describe}. */
    private static final Map<String, String> LAYOUTS = Map.of(
            "[2, 2, 2, 2] basic", "resnet18", "[3, 4, 6, 3] basic", "resnet34", "[3, 4, 6, 3] bottleneck", "resnet50",
            "[3, 4, 23, 3] bottleneck", "resnet101", "[3, 8, 36, 3] bottleneck", "resnet152");
    private static final Pattern BLOCK_KEY = Pattern.compile("layer([1-4])\\.(\\d{1,4})\\.(.*)");

    /** Non-strict load for fine-tuning: returns what was skipped. */
    static Module.LoadReport loadLenient(ResNet m, Path weights) throws IOException {
        return m.loadStateDict(StateDicts.load(weights), false);
    }
}
