package dev.resnet4j.cli;

import dev.resnet4j.models.ResNet;
import dev.resnet4j.nn.Module;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;

/** Prints the seed's shape-progression table and the parameter totals. */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print each layer's output shape and parameter count, and the totals.")
final class SummaryCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--input-size", defaultValue = "224x224", description = "Input height x width (default: ${DEFAULT-VALUE}).")
    String inputSize;

    @Option(names = "--blocks", description = "Also list every residual block.")
    boolean blocks;

    @Option(names = "--verbose", description = "Show stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() {
        int[] hw = parseSize(inputSize);
        ResNet m = model.build(0);
        print(m, hw, blocks, System.out);
        return 0;
    }

    static int[] parseSize(String s) {
        String[] p = s.toLowerCase().split("x");
        try {
            if (p.length == 2) {
                int h = Integer.parseInt(p[0].trim());
                int w = Integer.parseInt(p[1].trim());
                if (h > 0 && w > 0) {
                    return new int[]{h, w};
                }
            } else if (p.length == 1) {
                int v = Integer.parseInt(p[0].trim());
                if (v > 0) {
                    return new int[]{v, v};
                }
            }
        } catch (NumberFormatException ignored) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("--input-size must look like 224x224, got '" + s + "'");
    }

    static void print(ResNet m, int[] hw, boolean blocks, PrintStream out) {
        int[] shape = {1, m.inChannels(), hw[0], hw[1]};
        out.printf("%s, %d classes, %s input %s%n", m.block == dev.resnet4j.models.BlockType.BASIC ? "BasicBlock ResNet" : "Bottleneck ResNet",
                m.numClasses, m.grayscale ? "grayscale" : "RGB", fmt(shape));
        out.printf("%-22s %-22s %14s%n", "Layer", "Output shape", "Parameters");
        out.println("-".repeat(60));
        out.printf("%-22s %-22s %14s%n", "input", fmt(shape), "");
        long total = 0;
        for (Map.Entry<String, Module> e : m.children().entrySet()) {
            Module child = e.getValue();
            if (blocks && child instanceof dev.resnet4j.nn.Sequential seq) {
                for (int i = 0; i < seq.size(); i++) {
                    shape = checkShape(seq.get(i).outputShape(shape), e.getKey() + "." + i);
                    out.printf("%-22s %-22s %,14d%n", e.getKey() + "." + i, fmt(shape), seq.get(i).parameterCount());
                }
            } else {
                shape = checkShape(e.getKey().equals("fc") ? new int[]{shape[0], m.fc.outFeatures} : child.outputShape(shape), e.getKey());
                out.printf("%-22s %-22s %,14d%n", e.getKey(), fmt(shape), child.parameterCount());
            }
            total += child.parameterCount();
            if (e.getKey().equals("bn1")) {
                out.printf("%-22s %-22s %14s%n", "relu", fmt(shape), "0");
            }
            if (e.getKey().equals("avgpool")) {
                shape = new int[]{shape[0], shape[1] * shape[2] * shape[3]};
                out.printf("%-22s %-22s %14s%n", "flatten", fmt(shape), "0");
            }
        }
        out.println("-".repeat(60));
        out.printf("Total parameters:     %,d%n", total);
        out.printf("Trainable parameters: %,d%n", m.parameterCount());
        long buffers = m.stateDict().values().stream().mapToLong(t -> t.size()).sum() - m.parameterCount();
        out.printf("Buffers (BN running statistics and counters): %,d values%n", buffers);
        out.printf("Weights size (float32): %.1f MB%n", total * 4 / 1e6);
    }

    private static int[] checkShape(int[] s, String where) {
        for (int d : s) {
            if (d <= 0) {
                throw new IllegalArgumentException("the input is too small: " + where + " would have output shape " + fmt(s));
            }
        }
        return s;
    }

    static String fmt(int[] s) {
        return Arrays.toString(s);
    }
}
