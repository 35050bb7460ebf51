package dev.resnet4j.cli;

import dev.resnet4j.io.StateDicts;
import dev.resnet4j.models.ResNet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Writes a freshly initialised model (the seed's He-normal init) to .safetensors or .pth. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Write a freshly initialised model's state dict (.safetensors or .pth).")
final class InitCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;
    @Mixin
    CommonOptions common;

    @Option(names = "--seed", defaultValue = "0", description = "Initialisation seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"--output", "-o"}, required = true, description = "Output file: .safetensors, .pth or .pt.")
    Path output;

    @Override
    public Integer call() throws Exception {
        common.apply();
        ResNet m = model.build(seed);
        StateDicts.save(m.stateDict(), output);
        System.out.printf("wrote %s: %s, %d classes, %s, %,d parameters, seed %d%n", output, model.arch,
                model.numClasses, model.grayscale ? "grayscale" : "RGB", m.parameterCount(), seed);
        return 0;
    }
}
