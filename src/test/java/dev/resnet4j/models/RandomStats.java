package dev.resnet4j.models;

import dev.resnet4j.nn.BatchNorm2d;
import dev.resnet4j.nn.Module;

import java.util.Random;

/**
 * Non-trivial BatchNorm running statistics and shifts for eval-mode tests of the folded plan:
 * mean ~ N(0, 0.1²), variance in [0.5, 1.5), bias ~ N(0, 0.1²), drawn module by module.
 */
final class RandomStats {
    private RandomStats() {
    }

    static void set(ResNet net, Random rnd) {
        for (Module m : net.namedModules().values()) {
            if (m instanceof BatchNorm2d bn) {
                for (int c = 0; c < bn.runningMean.size(); c++) {
                    bn.runningMean.data()[c] = (float) (0.1 * rnd.nextGaussian());
                    bn.runningVar.data()[c] = (float) (0.5 + rnd.nextDouble());
                    bn.bias.data()[c] = (float) (0.1 * rnd.nextGaussian());
                }
            }
        }
    }
}
