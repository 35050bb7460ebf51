package dev.resnet4j.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The weights file the inference commands read. */
final class WeightsOption {
    @Option(names = {"--weights", "-w"}, required = true, description = "Weights: .safetensors, .pth or .pt.")
    Path path;
}
