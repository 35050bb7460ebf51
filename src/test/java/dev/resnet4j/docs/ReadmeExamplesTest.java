package dev.resnet4j.docs;

import dev.resnet4j.FixtureWeights;
import dev.resnet4j.data.DataLoader;
import dev.resnet4j.data.FashionMnist;
import dev.resnet4j.data.Normalization;
import dev.resnet4j.data.Subset;
import dev.resnet4j.io.StateDicts;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.ResNets;
import dev.resnet4j.nn.CrossEntropyLoss;
import dev.resnet4j.nn.Functional;
import dev.resnet4j.nn.Module;
import dev.resnet4j.optim.Adam;
import dev.resnet4j.optim.Optimizer;
import dev.resnet4j.optim.SGD;
import dev.resnet4j.tensor.Tensor;
import dev.resnet4j.train.EpochResult;
import dev.resnet4j.train.Evaluation;
import dev.resnet4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The README's Java snippets, verbatim, run on tiny inputs; and a check that every
 * {@code ```java} block of README.md still appears in this file, so the two cannot drift.
 * When you edit a snippet in the README, paste the new text over the old one here.
 */
class ReadmeExamplesTest {
    private static final Path README = Path.of("README.md");
    private static final Path THIS_SOURCE = Path.of("src/test/java/dev/resnet4j/docs/ReadmeExamplesTest.java");

    @TempDir
    Path dir;

    @Test
    void buildRunAndTrain() throws IOException {
        Tensor x = FixtureWeights.uniform("readme-input", 0.0, 1.0, 2, 1, 28, 28);

        // README: build, forward, softmax
        ResNet model = ResNets.resnet18(10, true);        // 10 classes, grayscale (1 input channel)
        model.eval();                                      // batch norm uses its running statistics
        Tensor logits = model.forward(x);                  // [N, 10]
        Tensor probs = Functional.softmax(logits);         // each row sums to 1
        int[] predicted = Functional.argmax(logits);       // class index per image

        assertArrayEquals(new int[]{2, 10}, logits.shape());
        assertEquals(1.0, rowSum(probs, 0), 1e-5);
        assertEquals(1.0, rowSum(probs, 1), 1e-5);
        assertEquals(2, predicted.length);

        // README: train
        DataLoader train = DataLoader.builder(new Subset(FashionMnist.subset(true), 64))
                .batchSize(32)
                .normalization(Normalization.FASHION_MNIST)
                .seed(0)
                .build();
        DataLoader test = DataLoader.builder(new Subset(FashionMnist.subset(false), 64))
                .batchSize(64)
                .shuffle(false)
                .normalization(Normalization.FASHION_MNIST)
                .build();
        Optimizer sgd = new SGD(model.namedParameters(), 0.05, 0.9, 5e-4);   // lr, momentum, weight decay
        List<EpochResult> history = Trainer.builder(model, train, sgd)
                .epochs(1)
                .testLoader(test)
                .build()
                .fit();                                    // sets train mode itself; evaluates after each epoch
        System.out.println(Evaluation.run(model, test).report());

        assertEquals(1, history.size());
        assertTrue(Double.isFinite(history.get(0).trainLoss()));
        assertTrue(Double.isFinite(history.get(0).testAccuracy()));
        assertEquals(2, sgd.stepCount());
    }

    @Test
    void loadSaveAndFineTune() throws IOException {
        // Stand-in for torchvision's file: a resnet18 state dict written as a torch zip .pth.
        ResNet source = ResNets.create("resnet18", 1000, false, 7);
        StateDicts.save(source.stateDict(), dir.resolve("resnet18.pth"));

        // README: load PyTorch weights, save them back
        ResNet imagenet = ResNets.resnet18(1000, false);
        imagenet.loadStateDict(StateDicts.load(dir.resolve("resnet18.pth")), true);   // strict: every key, every shape
        StateDicts.save(imagenet.stateDict(), dir.resolve("resnet18.safetensors"));    // or .pth, for torch.load

        assertArrayEquals(source.conv1.weight.data(), imagenet.conv1.weight.data());
        assertArrayEquals(source.fc.weight.data(),
                StateDicts.load(dir.resolve("resnet18.safetensors")).get("fc.weight").data());

        // README: fine-tune with a new classifier
        ResNet tuned = ResNets.resnet18(10, false);
        Module.LoadReport report = tuned.loadStateDict(StateDicts.load(dir.resolve("resnet18.pth")), false);
        System.out.println(report);                        // shape mismatch (kept as initialised): [fc.weight ..., fc.bias ...]
        tuned.namedParameters().forEach((name, p) -> p.setRequiresGrad(name.startsWith("fc.")));
        Optimizer adam = new Adam(tuned.namedParameters(), 1e-3);
        // then Trainer.builder(tuned, loader, adam)... as above, with 3-channel images

        assertTrue(report.missing().isEmpty());
        assertTrue(report.unexpected().isEmpty());
        assertEquals(List.of("fc.weight: checkpoint [1000, 512], model [10, 512]", "fc.bias: checkpoint [1000], model [10]"),
                report.mismatched());
        assertTrue(report.toString().startsWith("shape mismatch (kept as initialised): [fc.weight"), report.toString());
        assertArrayEquals(source.layer4.get(1).stateDict().get("conv2.weight").data(),
                tuned.layer4.get(1).stateDict().get("conv2.weight").data());

        // One step: only fc moves.
        float[] conv1Before = tuned.conv1.weight.data().clone();
        float[] fcBefore = tuned.fc.weight.data().clone();
        tuned.train(true);
        CrossEntropyLoss loss = new CrossEntropyLoss();
        adam.zeroGrad();
        loss.forward(tuned.forward(FixtureWeights.uniform("readme-rgb", -1.0, 1.0, 2, 3, 32, 32)), new int[]{3, 7});
        tuned.backward(loss.backward());
        adam.step();
        assertArrayEquals(conv1Before, tuned.conv1.weight.data());
        assertFalse(Arrays.equals(fcBefore, tuned.fc.weight.data()));
    }

    /** Every ```java block of README.md appears in this file, line for line (indentation ignored). */
    @Test
    void readmeSnippetsAreTheTestedOnes() throws IOException {
        assertTrue(Files.exists(README), "run from the repository root: " + README.toAbsolutePath());
        List<List<String>> blocks = javaBlocks(Files.readAllLines(README, StandardCharsets.UTF_8));
        assertFalse(blocks.isEmpty(), "README.md has no ```java blocks");
        String source = "\n" + normalise(Files.readAllLines(THIS_SOURCE, StandardCharsets.UTF_8)) + "\n";
        for (List<String> block : blocks) {
            String text = "\n" + normalise(block) + "\n";
            if (!source.contains(text)) {
                fail("this README.md snippet is not in " + THIS_SOURCE + " (paste it into a test there):\n"
                        + String.join("\n", block));
            }
        }
    }

    static List<List<String>> javaBlocks(List<String> lines) {
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = null;
        for (String line : lines) {
            String t = line.strip();
            if (current == null && t.equals("```java")) {
                current = new ArrayList<>();
            } else if (current != null && t.startsWith("```")) {
                blocks.add(current);
                current = null;
            } else if (current != null) {
                current.add(line);
            }
        }
        if (current != null) {
            fail("README.md: unterminated ```java block");
        }
        return blocks;
    }

    /** Lines stripped of surrounding white space, blank lines dropped. */
    static String normalise(List<String> lines) {
        return lines.stream().map(String::strip).filter(l -> !l.isEmpty()).collect(Collectors.joining("\n"));
    }

    private static double rowSum(Tensor t, int row) {
        double s = 0;
        for (int j = 0; j < t.dim(1); j++) {
            s += t.get(row, j);
        }
        return s;
    }
}
