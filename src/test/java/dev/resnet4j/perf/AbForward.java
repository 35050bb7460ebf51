package dev.resnet4j.perf;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A/B of whole inference forwards between builds, in one JVM: each build's classes are loaded
 * by their own class loader, and the builds' forwards alternate iteration by iteration, so a
 * burst of load on the shared machine hits both alike (separate processes minutes apart differ
 * by up to 30 % here for the same build). Prints min, lower quartile and median per build.
 * Args: comma-separated class directories (e.g. two {@code -Dbuild.dir} builds' {@code classes}),
 * each optionally followed by {@code ;key=value} system properties for that build alone,
 * threads, batch, timed iterations (a third as many warm-up ones first, at least 10).
 */
public final class AbForward {
    private AbForward() {
    }

    public static void main(String[] args) throws Exception {
        String[] dirs = args[0].split(",");
        int threads = Integer.parseInt(args[1]);
        int batch = Integer.parseInt(args[2]);
        int iters = Integer.parseInt(args[3]);
        URL runner = AbForward.class.getProtectionDomain().getCodeSource().getLocation();
        Object[] runners = new Object[dirs.length];
        Method[] run = new Method[dirs.length];
        for (int d = 0; d < dirs.length; d++) {
            // DIR;key=value;…: system properties this build's kernel classes read when they
            // initialise (forced here, while they are set), e.g. a switch's old setting
            String[] spec = dirs[d].split(";");
            ClassLoader cl = new URLClassLoader(new URL[]{Path.of(spec[0]).toUri().toURL(), runner},
                    ClassLoader.getPlatformClassLoader());
            for (int q = 1; q < spec.length; q++) {
                String[] kv = spec[q].split("=", 2);
                System.setProperty(kv[0], kv[1]);
            }
            for (String k : new String[]{"kernels.Gemm", "kernels.Convolution", "kernels.Winograd", "kernels.PackedConv",
                "kernels.ConvMaxPool", "kernels.PaddedWinograd", "kernels.PackedStem", "tensor.Parallel"}) {
                try {
                    Class.forName("dev.resnet4j." + k, true, cl);
                } catch (ClassNotFoundException e) {
                    // an older build without it
                }
            }
            for (int q = 1; q < spec.length; q++) {
                System.clearProperty(spec[q].split("=", 2)[0]);
            }
            Class<?> c = Class.forName(AbRunner.class.getName(), true, cl);
            runners[d] = c.getConstructor(int.class, int.class).newInstance(threads, batch);
            run[d] = c.getMethod("run");
        }
        double[][] t = new double[dirs.length][iters];
        for (int it = -Math.max(10, iters / 3); it < iters; it++) {
            // the order rotates from one iteration to the next: with a fixed order the build
            // run second was up to 1 ms faster at batch 1 even against itself
            for (int k = 0; k < dirs.length; k++) {
                int d = Math.floorMod(k + it, dirs.length);
                double ms = (Double) run[d].invoke(runners[d]);
                if (it >= 0) {
                    t[d][it] = ms;
                }
            }
        }
        System.out.printf("resnet18 3x224x224, batch %d, %d threads, %d iterations each, alternating (ms)%n", batch,
                threads, iters);
        for (int d = 0; d < dirs.length; d++) {
            Arrays.sort(t[d]);
            System.out.printf("  %-50s min %7.2f  q1 %7.2f  median %7.2f%n", dirs[d], t[d][0], t[d][iters / 4],
                    t[d][iters / 2]);
        }
    }
}
