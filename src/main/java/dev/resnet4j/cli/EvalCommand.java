package dev.resnet4j.cli;

import dev.resnet4j.data.DataLoader;
import dev.resnet4j.data.DataSpec;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.train.Evaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Accuracy, per-class accuracy and the confusion matrix on a data set's test split. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate weights on a data set's test split (or its only split): accuracy, per-class accuracy, confusion matrix.")
final class EvalCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;
    @Mixin
    DataOptions data;
    @Mixin
    CommonOptions common;

    @Mixin
    WeightsOption weightsOption;
    @Option(names = "--batch-size", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() throws Exception {
        common.apply();
        ResNet m = model.load(weightsOption.path);
        DataSpec.Splits s = data.open(m);
        DataLoader loader = s.test() != null ? DataOptions.testLoader(s, batchSize)
                : DataLoader.builder(s.train()).batchSize(batchSize).shuffle(false).normalization(s.normalization()).build();
        System.out.println("evaluating " + weightsOption.path + " on " + data.spec + (s.test() != null ? " (test split)" : ""));
        System.out.print(Evaluation.run(m, loader).report());
        return 0;
    }
}
