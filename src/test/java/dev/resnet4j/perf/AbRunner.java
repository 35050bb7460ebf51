package dev.resnet4j.perf;

import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.ResNets;
import dev.resnet4j.tensor.Parallel;
import dev.resnet4j.tensor.Tensor;

import java.util.Random;

/**
 * One build's side of {@link AbForward}: a resnet18 (1000 classes, seed 1) in eval mode and a
 * random 3×224×224 batch, built through whichever classes the loader that loaded this class
 * sees. Uses only public API, so one compiled copy serves any build.
 */
public final class AbRunner {
    private final ResNet net;
    private final Tensor x;

    public AbRunner(int threads, int batch) {
        Parallel.setThreads(threads);
        net = ResNets.create("resnet18", 1000, false, 1);
        net.eval();
        x = Tensor.zeros(batch, 3, 224, 224);
        Random r = new Random(3);
        float[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
        }
    }

    /** One forward; its wall time in ms. */
    public double run() {
        long t0 = System.nanoTime();
        net.forward(x);
        return (System.nanoTime() - t0) / 1e6;
    }
}
