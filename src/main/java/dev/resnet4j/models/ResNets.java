package dev.resnet4j.models;

import java.util.List;
import java.util.Locale;

/**
 * Factories for the standard depths, as torchvision's {@code resnet18} ... {@code resnet152}:
 * one generic {@link ResNet} class, and here only the block kind and the blocks per stage.
 *
 * <pre>{@code
 * ResNet gray = ResNets.resnet18(10, true);                  // 10 classes, 1 input channel
 * ResNet rgb = ResNets.create("resnet50", 1000, false, 42);  // by name, with an init seed
 * }</pre>
 *
 * <p>Every factory initialises the weights with seed 0 (He-normal convolutions, BN 1/0); load
 * trained weights with {@link dev.resnet4j.nn.Module#loadStateDict}. Walk-through:
 * docs/architecture.md.
 */
public final class ResNets {
    private ResNets() {
    }

    /** The names {@link #create} accepts. */
    public static final List<String> ARCHITECTURES = List.of("resnet18", "resnet34", "resnet50", "resnet101", "resnet152");

    /** ResNet-18: BasicBlocks {2, 2, 2, 2}; 11,689,512 parameters with 1000 RGB classes. {@code grayscale} selects 1 input channel instead of 3. */
    public static ResNet resnet18(int numClasses, boolean grayscale) {
        return create("resnet18", numClasses, grayscale, 0);
    }

    /** ResNet-34: BasicBlocks {3, 4, 6, 3}. {@code grayscale} selects 1 input channel instead of 3. */
    public static ResNet resnet34(int numClasses, boolean grayscale) {
        return create("resnet34", numClasses, grayscale, 0);
    }

    /** ResNet-50: Bottlenecks {3, 4, 6, 3}. {@code grayscale} selects 1 input channel instead of 3. */
    public static ResNet resnet50(int numClasses, boolean grayscale) {
        return create("resnet50", numClasses, grayscale, 0);
    }

    /** ResNet-101: Bottlenecks {3, 4, 23, 3}. {@code grayscale} selects 1 input channel instead of 3. */
    public static ResNet resnet101(int numClasses, boolean grayscale) {
        return create("resnet101", numClasses, grayscale, 0);
    }

    /** ResNet-152: Bottlenecks {3, 8, 36, 3}. {@code grayscale} selects 1 input channel instead of 3. */
    public static ResNet resnet152(int numClasses, boolean grayscale) {
        return create("resnet152", numClasses, grayscale, 0);
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
