package dev.resnet4j.kernels;

import java.lang.management.ManagementFactory;

/**
 * Where packed weights start inside their arrays, so that the kernels' whole-vector loads do not
 * straddle two cache lines.
 *
 * <p>A Java array's elements start a fixed header after the array object, and objects are only
 * 8-byte aligned by default, so a float[]'s first element can sit anywhere within a 64-byte
 * line: then every 512-bit load of a packed weight panel touches two lines. With
 * {@code -XX:ObjectAlignmentInBytes=64} (the {@code resnet} launcher and the benchmarks pass it)
 * every array object starts on a line, and its elements 16 bytes later (the header with
 * compressed class pointers): the packers then leave {@link #FLOATS} = 12 floats unused in front,
 * so that the packed data starts on a line. Measured: the pixel kernels 3–4 % faster on aligned
 * weights (one array, four offsets, in one JVM), layer3 and layer4 at batch 1 4–8 % faster in
 * three of four process pairs.
 *
 * <p>The activations get the same offset ({@link #activations()}): the padded channels-last
 * buffers ({@link PackedConv#newPadded}), whose pixels' runs of channels are then whole lines,
 * and the scratch of {@link PaddedWinograd} and {@link PackedStem}. Measured (stop 19): a
 * batch-1 forward 0.03–0.19 ms faster in four of five runs, batch 16 3 %.
 *
 * <p>Without that flag (an application's own JVM) the offset is 0 and nothing changes. The
 * consumers read the offset off each array's length, so a panel or buffer made under one
 * setting is read right under any other. {@code -Dresnet4j.align=false} turns it off.
 */
public final class Align {
    private Align() {
    }

    /** Unused floats in front of packed weights: 12 where that puts them on a 64-byte line, else 0. */
    static int FLOATS = compute();

    /**
     * Whether activations in the padded channels-last layout ({@link PackedConv#newPadded}) and
     * the Winograd scratch get the same offset; {@code -Dresnet4j.align.activations=false},
     * benchmarks flip it.
     */
    public static boolean ACTIVATIONS = !"false".equals(System.getProperty("resnet4j.align.activations"));

    /** Unused floats in front of activations and scratch: {@link #FLOATS}, or 0 with {@link #ACTIVATIONS} off. */
    public static int activations() {
        return ACTIVATIONS ? FLOATS : 0;
    }

    /** Whether packed weights start on 64-byte lines in this JVM. */
    public static boolean onCacheLines() {
        return FLOATS > 0;
    }

    /**
     * Whether this JVM puts its heap on transparent huge pages ({@code -XX:+UseTransparentHugePages},
     * which the launcher passes for inference where the kernel's THP mode is "madvise"): the
     * weights a forward streams then cross far fewer pages. Reported by {@code resnet bench}.
     */
    public static boolean hugePages() {
        try {
            var vm = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return Boolean.parseBoolean(vm.getVMOption("UseTransparentHugePages").getValue());
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static int compute() {
        if ("false".equals(System.getProperty("resnet4j.align"))) {
            return 0;
        }
        try {
            var vm = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            int alignment = Integer.parseInt(vm.getVMOption("ObjectAlignmentInBytes").getValue());
            boolean compressed = Boolean.parseBoolean(vm.getVMOption("UseCompressedClassPointers").getValue());
            boolean compact = false;
            try {
                compact = Boolean.parseBoolean(vm.getVMOption("UseCompactObjectHeaders").getValue());
            } catch (IllegalArgumentException absent) {
                // JDK 17–23: no compact headers
            }
            // a float[]'s elements start 16 bytes into the object with compressed class pointers
            return alignment % 64 == 0 && compressed && !compact ? (64 - 16) / 4 : 0;
        } catch (RuntimeException | LinkageError e) {
            return 0;
        }
    }
}
