package dev.resnet4j.models;

import java.util.List;
import java.util.Locale;

/** Factories for the standard depths, as torchvision's {@code resnet18} ... {@code resnet152}. */
public final class ResNets {
    private ResNets() {
    }

    public static final List<String> ARCHITECTURES = List.of("resnet18", "resnet34", "resnet50", "resnet101", "resnet152");

    public static ResNet resnet18(int numClasses, boolean grayscale) {
        return new ResNet(BlockType.BASIC, new int[]{2, 2, 2, 2}, numClasses, grayscale);
    }

    public static ResNet resnet34(int numClasses, boolean grayscale) {
        return new ResNet(BlockType.BASIC, new int[]{3, 4, 6, 3}, numClasses, grayscale);
    }

    public static ResNet resnet50(int numClasses, boolean grayscale) {
        return new ResNet(BlockType.BOTTLENECK, new int[]{3, 4, 6, 3}, numClasses, grayscale);
    }

    public static ResNet resnet101(int numClasses, boolean grayscale) {
        return new ResNet(BlockType.BOTTLENECK, new int[]{3, 4, 23, 3}, numClasses, grayscale);
    }

    public static ResNet resnet152(int numClasses, boolean grayscale) {
        return new ResNet(BlockType.BOTTLENECK, new int[]{3, 8, 36, 3}, numClasses, grayscale);
    }

    /** Builds an architecture by name ("resnet18" ... "resnet152") with the given init seed. */
    public static ResNet create(String arch, int numClasses, boolean grayscale, long seed) {
        String a = arch.toLowerCase(Locale.ROOT);
        return switch (a) {
            case "resnet18" -> new ResNet(BlockType.BASIC, new int[]{2, 2, 2, 2}, numClasses, grayscale, seed);
            case "resnet34" -> new ResNet(BlockType.BASIC, new int[]{3, 4, 6, 3}, numClasses, grayscale, seed);
            case "resnet50" -> new ResNet(BlockType.BOTTLENECK, new int[]{3, 4, 6, 3}, numClasses, grayscale, seed);
            case "resnet101" -> new ResNet(BlockType.BOTTLENECK, new int[]{3, 4, 23, 3}, numClasses, grayscale, seed);
            case "resnet152" -> new ResNet(BlockType.BOTTLENECK, new int[]{3, 8, 36, 3}, numClasses, grayscale, seed);
            default -> throw new IllegalArgumentException("unknown architecture '" + arch + "'; choose one of " + ARCHITECTURES);
        };
    }
}
