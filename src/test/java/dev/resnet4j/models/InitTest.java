package dev.resnet4j.models;

import dev.resnet4j.nn.BatchNorm2d;
import dev.resnet4j.nn.Conv2d;
import dev.resnet4j.nn.Module;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The seed's initialisation, determinism, and strict/lenient state-dict loading. */
class InitTest {

    @Test
    void heNormalWithFanOutAndBnOnesZeros() {
        ResNet m = ResNets.resnet18(1000, false);
        for (Map.Entry<String, Module> e : m.namedModules().entrySet()) {
            if (e.getValue() instanceof Conv2d c) {
                float[] w = c.weight.data();
                double sum = 0;
                double sq = 0;
                for (float v : w) {
                    sum += v;
                    sq += (double) v * v;
                }
                double mean = sum / w.length;
                double std = Math.sqrt(sq / w.length - mean * mean);
                double want = Math.sqrt(2.0 / (c.kernelSize * c.kernelSize * c.outChannels));
                double se = want / Math.sqrt(w.length);
                assertEquals(0.0, mean, 6 * se, e.getKey() + " mean");
                assertEquals(want, std, Math.max(6 * want / Math.sqrt(2.0 * w.length), 0.02 * want), e.getKey() + " std");
            } else if (e.getValue() instanceof BatchNorm2d bn) {
                for (float v : bn.weight.data()) {
                    assertEquals(1f, v);
                }
                for (float v : bn.bias.data()) {
                    assertEquals(0f, v);
                }
            }
        }
        double bound = 1 / Math.sqrt(512);
        for (float v : m.fc.weight.data()) {
            assertTrue(Math.abs(v) <= bound, "fc weight within ±1/sqrt(fan_in)");
        }
    }

    @Test
    void sameSeedSameModelOtherSeedOtherModel() {
        Map<String, Tensor> a = ResNets.create("resnet18", 10, true, 7).stateDict();
        Map<String, Tensor> b = ResNets.create("resnet18", 10, true, 7).stateDict();
        Map<String, Tensor> c = ResNets.create("resnet18", 10, true, 8).stateDict();
        a.forEach((k, v) -> assertArrayEquals(v.data(), b.get(k).data(), k));
        assertFalse(java.util.Arrays.equals(a.get("conv1.weight").data(), c.get("conv1.weight").data()));
    }

    @Test
    void strictLoadNamesKeyAndBothShapes() {
        ResNet ten = ResNets.resnet18(10, false);
        Map<String, Tensor> thousand = ResNets.resnet18(1000, false).stateDict();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ten.loadStateDict(thousand, true));
        assertTrue(e.getMessage().contains("fc.weight") && e.getMessage().contains("[1000, 512]") && e.getMessage().contains("[10, 512]"),
                e.getMessage());

        Map<String, Tensor> missing = new HashMap<>(ten.stateDict());
        missing.remove("layer2.0.downsample.0.weight");
        e = assertThrows(IllegalArgumentException.class, () -> ResNets.resnet18(10, false).loadStateDict(missing, true));
        assertTrue(e.getMessage().contains("layer2.0.downsample.0.weight"), e.getMessage());

        Map<String, Tensor> extra = new HashMap<>(ten.stateDict());
        extra.put("layer5.weight", Tensor.zeros(3));
        e = assertThrows(IllegalArgumentException.class, () -> ResNets.resnet18(10, false).loadStateDict(extra, true));
        assertTrue(e.getMessage().contains("layer5.weight"), e.getMessage());
    }

    @Test
    void lenientLoadForFineTuningReportsWhatItSkipped() {
        ResNet source = ResNets.create("resnet18", 1000, true, 1);
        ResNet target = ResNets.create("resnet18", 10, true, 2);
        Module.LoadReport r = target.loadStateDict(source.stateDict(), false);
        assertEquals(2, r.mismatched().size(), r.toString());
        assertTrue(r.missing().isEmpty() && r.unexpected().isEmpty());
        assertArrayEquals(source.conv1.weight.data(), target.conv1.weight.data(), "backbone copied");
        assertEquals(10, target.fc.weight.value().dim(0), "fc kept");
    }
}
