package dev.resnet4j.cli;

import dev.resnet4j.nn.Conv2d;
import dev.resnet4j.nn.Linear;
import dev.resnet4j.nn.Module;

import java.util.Map;

/**
 * Multiply-accumulates of one forward pass, counted analytically from the module shapes:
 * a convolution costs out·in·k²·OH·OW per image, a linear layer out·in; batch norm, ReLU,
 * pooling and the residual adds are not counted (they are memory-bound and a few percent of
 * the arithmetic), which is the convention of the published ResNet figures (ResNet-18 at
 * 224×224: 1.814 GMAC). tools/count_macs.py counts the same with PyTorch forward hooks.
 *
 * <p>The walk needs no knowledge of the block classes: children run in registration order,
 * each fed the previous child's output shape, except a child named {@code downsample}, which
 * (as in every ResNet block) takes the block's input.
 */
final class MacCounter {
    private MacCounter() {
    }

    /** MACs of one image of shape [channels, height, width] through {@code model}'s forward. */
    static long macsPerImage(Module model, int channels, int height, int width) {
        long[] total = new long[1];
        walk(model, new int[]{1, channels, height, width}, total);
        return total[0];
    }

    private static int[] walk(Module m, int[] in, long[] total) {
        if (m instanceof Conv2d c) {
            int[] out = c.outputShape(in);
            total[0] += (long) c.outChannels * c.inChannels * c.kernelSize * c.kernelSize * out[2] * out[3] * in[0];
            return out;
        }
        if (m instanceof Linear l) {
            total[0] += (long) l.inFeatures * l.outFeatures * in[0];
            return new int[]{in[0], l.outFeatures};
        }
        Map<String, Module> children = m.children();
        if (children.isEmpty()) {
            return m.outputShape(in);
        }
        int[] x = in;
        for (Map.Entry<String, Module> e : children.entrySet()) {
            if (e.getKey().equals("downsample")) {
                walk(e.getValue(), in, total);
            } else {
                x = walk(e.getValue(), x, total);
            }
        }
        return x;
    }
}
