package dev.resnet4j.cli;

import dev.resnet4j.data.ByteImage;
import dev.resnet4j.data.ImageDecoder;
import dev.resnet4j.data.ImagePreprocess;
import dev.resnet4j.data.Normalization;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.nn.Functional;
import dev.resnet4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Classifies PNG/JPEG images and prints the top-k classes. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Classify images (PNG/JPEG): preprocess as torchvision does, print the top-k classes with probabilities.")
final class PredictCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;
    @Mixin
    CommonOptions common;

    @Mixin
    WeightsOption weightsOption;

    @Option(names = "--labels", description = "Class names, one per line (default: class indices).")
    Path labels;

    @Option(names = "--top", defaultValue = "5", description = "How many classes to print (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--json", description = "One JSON object per image instead of a table.")
    boolean json;

    @Option(names = "--resize", description = "Resize the shorter side to this (default: 256 for RGB; none for grayscale).")
    Integer resize;

    @Option(names = "--crop", description = "Centre-crop to this square (default: 224 for RGB; none for grayscale).")
    Integer crop;

    @Option(names = "--mean", split = ",", description = "Per-channel mean (default: ImageNet's for RGB, 0.2860 for grayscale).")
    float[] mean;

    @Option(names = "--std", split = ",", description = "Per-channel std (default: ImageNet's for RGB, 0.3530 for grayscale).")
    float[] std;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "PNG or JPEG files.")
    List<Path> images;

    @Override
    public Integer call() throws Exception {
        common.apply();
        ResNet m = model.load(weightsOption.path);
        m.eval();
        List<String> names = labels == null ? null : readLabels(labels, model.numClasses);
        ImagePreprocess pre = preprocess(m.inChannels());
        for (Path image : images) {
            ByteImage raw = ImageDecoder.read(image);
            noteConversion(image, raw, m.inChannels()); // stderr: --json output on stdout stays clean
            Tensor probs = Functional.softmax(m.forward(pre.apply(raw)));
            print(image, probs.data(), names);
        }
        return 0;
    }

    private ImagePreprocess preprocess(int channels) {
        boolean rgb = channels == 3;
        Normalization norm = rgb ? Normalization.IMAGENET : Normalization.FASHION_MNIST;
        if (mean != null || std != null) {
            if (mean == null || std == null) {
                throw new IllegalArgumentException("give both --mean and --std");
            }
            norm = Normalization.of(mean, std);
        }
        int r = resize != null ? resize : rgb ? 256 : 0;
        int c = crop != null ? crop : rgb ? 224 : 0;
        return new ImagePreprocess(channels, r, c, norm);
    }

    /** An image whose channels differ from the model's is converted (RGB to grayscale or back); say so on stderr. */
    static void noteConversion(Path image, ByteImage raw, int modelChannels) {
        if (raw.channels() != modelChannels) {
            System.err.printf("note: %s has %d channel(s); converted to %s for the model%n", image, raw.channels(),
                    modelChannels == 1 ? "grayscale" : "RGB");
        }
    }

    static List<String> readLabels(Path file, int classes) throws IOException {
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                names.add(line.strip());
            }
        }
        if (names.size() != classes) {
            throw new IllegalArgumentException(file + ": has " + names.size() + " labels but the model has " + classes + " classes");
        }
        return names;
    }

    private void print(Path image, float[] p, List<String> names) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
        int k = Math.min(top, p.length);
        if (json) {
            StringBuilder sb = new StringBuilder("{\"image\":").append(quote(image.toString())).append(",\"top\":[");
            for (int i = 0; i < k; i++) {
                int c = order[i];
                sb.append(i == 0 ? "" : ",").append("{\"class\":").append(c)
                        .append(",\"label\":").append(quote(names == null ? Integer.toString(c) : names.get(c)))
                        .append(",\"probability\":").append(String.format(Locale.ROOT, "%.6f", p[c])).append('}');
            }
            System.out.println(sb.append("]}"));
        } else {
            System.out.println(image);
            for (int i = 0; i < k; i++) {
                int c = order[i];
                System.out.printf(Locale.ROOT, "  %d. %-30s %6.2f%%%n", i + 1, names == null ? "class " + c : names.get(c), 100 * p[c]);
            }
        }
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> {
                    if (ch < 0x20) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
