package dev.resnet4j.models;

import dev.resnet4j.Fixture;
import dev.resnet4j.nn.Module;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** State-dict names, shapes, parameter counts and the shape progression equal torchvision's. */
class StructureTest {

    @ParameterizedTest
    @ValueSource(strings = {"resnet18_rgb1000", "resnet18_gray10", "resnet34_rgb1000", "resnet34_gray10",
            "resnet50_rgb1000", "resnet50_gray10", "resnet101_rgb1000", "resnet101_gray10",
            "resnet152_rgb1000", "resnet152_gray10"})
    void matchesTorchvision(String name) {
        Fixture f = Fixture.load("parity/structure_" + name + ".txt");
        ResNet model = ResNets.create(f.str("arch"), f.integer("num_classes"), f.integer("grayscale") == 1, 0);
        assertEquals(f.longValue("parameters"), model.parameterCount(), "parameter count");

        List<String> expected = new ArrayList<>();
        for (String[] k : f.all("key")) {
            expected.add((k[0] + " " + String.join(" ", Arrays.copyOfRange(k, 1, k.length))).strip());
        }
        List<String> actual = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            StringBuilder sb = new StringBuilder(e.getKey());
            for (int d : e.getValue().shape()) {
                sb.append(' ').append(d);
            }
            actual.add(sb.toString().strip());
        }
        assertEquals(expected, actual, "state-dict keys, order and shapes");

        int[] size = f.ints("input_size");
        int[] shape = {1, model.inChannels(), size[0], size[1]};
        Map<String, Module> children = model.children();
        for (String[] s : f.all("shape")) {
            String layer = s[0];
            int[] want = Arrays.stream(Arrays.copyOfRange(s, 1, s.length)).mapToInt(Integer::parseInt).toArray();
            if (layer.equals("relu")) {
                continue; // not a child: ReLU has no state; its shape equals bn1's
            }
            shape = layer.equals("fc") ? model.fc.outputShape(new int[]{1, model.fc.inFeatures}) : children.get(layer).outputShape(shape);
            assertEquals(Arrays.toString(want), Arrays.toString(shape), "output of " + layer);
        }
    }

    @Test
    void seedNumbers() {
        // The seed: ~11M parameters for ResNet-18 (11,689,512 with 1000 classes, as torchvision).
        assertEquals(11_689_512L, ResNets.resnet18(1000, false).parameterCount());
    }

    @Test
    void shortcutRuleFollowsTheSeed() {
        ResNet m = ResNets.resnet18(10, false);
        BasicBlock l1b0 = (BasicBlock) m.layer1.get(0);
        BasicBlock l2b0 = (BasicBlock) m.layer2.get(0);
        BasicBlock l2b1 = (BasicBlock) m.layer2.get(1);
        assertNull(l1b0.downsample, "layer1: stride 1 and 64 == 64: identity");
        assertNotNull(l2b0.downsample, "layer2 block 0: stride 2 and 64 -> 128: projection");
        assertNull(l2b1.downsample, "layer2 block 1: identity");
        assertEquals(2, l2b0.stride);
        ResNet r50 = ResNets.resnet50(10, false);
        assertNotNull(((Bottleneck) r50.layer1.get(0)).downsample, "bottleneck layer1: 64 -> 256 channels");
        assertEquals(2, ((Bottleneck) r50.layer2.get(0)).conv2.stride, "stride on the 3x3, as torchvision v1.5");
    }
}
