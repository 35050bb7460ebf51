package dev.resnet4j.train;

import dev.resnet4j.data.Augmentation;
import dev.resnet4j.data.DataLoader;
import dev.resnet4j.data.FashionMnist;
import dev.resnet4j.data.Normalization;
import dev.resnet4j.data.Subset;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.ResNets;
import dev.resnet4j.optim.Adam;
import dev.resnet4j.optim.Optimizer;
import dev.resnet4j.optim.SGD;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {

    private static DataLoader loader(int images, long seed) throws Exception {
        return DataLoader.builder(new Subset(FashionMnist.subset(true), images)).batchSize(32).shuffle(true).seed(seed)
                .augmentation(Augmentation.standard(28)).normalization(Normalization.FASHION_MNIST).build();
    }

    @Test
    void shortRunOnTheShippedSubsetLowersTheLoss() throws Exception {
        ResNet m = ResNets.create("resnet18", 10, true, 1);
        DataLoader l = loader(320, 1);
        List<EpochResult> h = Trainer.builder(m, l, new SGD(m.namedParameters(), 0.05, 0.9, 0.0, 5e-4, true))
                .epochs(3).seed(1).build().fit();
        assertEquals(3, h.size());
        assertTrue(h.get(2).trainLoss() < h.get(0).trainLoss() - 0.1,
                "loss should fall: " + h.get(0).trainLoss() + " -> " + h.get(2).trainLoss());
    }

    @Test
    void resumeEqualsUninterrupted(@TempDir Path dir) throws Exception {
        // uninterrupted: 2 epochs
        ResNet a = ResNets.create("resnet18", 10, true, 3);
        Optimizer oa = new Adam(a.namedParameters(), 1e-3, 0.9, 0.999, 1e-8, 1e-4, false);
        Trainer.builder(a, loader(64, 3), oa).epochs(2).seed(3).build().fit();

        // interrupted after epoch 1, then resumed in a fresh model and optimiser
        Path ck = dir.resolve("ck");
        ResNet b = ResNets.create("resnet18", 10, true, 3);
        Trainer.builder(b, loader(64, 3), new Adam(b.namedParameters(), 1e-3, 0.9, 0.999, 1e-8, 1e-4, false))
                .epochs(1).seed(3).checkpointDir(ck).build().fit();
        ResNet c = ResNets.create("resnet18", 10, true, 99); // different init: everything must come from the checkpoint
        List<EpochResult> rest = Trainer.builder(c, loader(64, 3), new Adam(c.namedParameters(), 1e-3, 0.9, 0.999, 1e-8, 1e-4, false))
                .epochs(2).seed(3).checkpointDir(ck).resume(true).build().fit();
        assertEquals(1, rest.size(), "only the second epoch is left");
        Map<String, Tensor> want = a.stateDict();
        c.stateDict().forEach((k, v) -> assertArrayEquals(want.get(k).data(), v.data(), k));
    }

    @Test
    void resumeWithAnotherSeedIsRefused(@TempDir Path dir) throws Exception {
        ResNet b = ResNets.create("resnet18", 10, true, 3);
        Trainer.builder(b, loader(32, 3), new SGD(b.namedParameters(), 0.01)).epochs(1).seed(3).checkpointDir(dir).build().fit();
        ResNet c = ResNets.create("resnet18", 10, true, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.builder(c, loader(32, 4),
                new SGD(c.namedParameters(), 0.01)).epochs(2).seed(4).checkpointDir(dir).resume(true).build().fit());
        assertTrue(e.getMessage().contains("--seed 3"), e.getMessage());
    }

    @Test
    void divergingLossStopsWithEpochAndStep() throws Exception {
        ResNet m = ResNets.create("resnet18", 10, true, 1);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () ->
                Trainer.builder(m, loader(64, 1), new SGD(m.namedParameters(), 1e30, 0.0, 0.0, 0.0, false)).epochs(1).build().fit());
        assertTrue(e.getMessage().matches(".*epoch 1, step \\d+.*"), e.getMessage());
    }
}
