package dev.resnet4j.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The element types the readers accept, with their little-endian decoding to float32.
 *
 * <p>One table serves safetensors, .pth storages and .npy, so a dtype is decoded the same
 * way whichever file it came from.
 */
enum DType {
    F32(4, true), F16(2, true), BF16(2, true), F64(8, true),
    I64(8, false), I32(4, false), I16(2, false), I8(1, false), U8(1, false), BOOL(1, false);

    final int size;
    final boolean floating;

    DType(int size, boolean floating) {
        this.size = size;
        this.floating = floating;
    }

    /** Decodes {@code count} little-endian elements starting at byte {@code off}. */
    float[] toFloats(byte[] src, int off, int count) {
        float[] out = new float[count];
        ByteBuffer bb = ByteBuffer.wrap(src, off, count * size).order(ByteOrder.LITTLE_ENDIAN);
        switch (this) {
            case F32 -> bb.asFloatBuffer().get(out);
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = (float) bb.getDouble(off + 8 * i);
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = halfToFloat(bb.getShort(off + 2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = Float.intBitsToFloat((bb.getShort(off + 2 * i) & 0xffff) << 16);
                }
            }
            case I64 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = (float) bb.getLong(off + 8 * i);
                }
            }
            case I32 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = (float) bb.getInt(off + 4 * i);
                }
            }
            case I16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = bb.getShort(off + 2 * i);
                }
            }
            case I8 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = src[off + i];
                }
            }
            case U8 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = src[off + i] & 0xff;
                }
            }
            case BOOL -> {
                for (int i = 0; i < count; i++) {
                    out[i] = src[off + i] != 0 ? 1f : 0f;
                }
            }
            default -> throw new AssertionError(this);
        }
        return out;
    }

    /** Decodes integer (or bool) elements exactly; floating types are not accepted here. */
    long[] toLongs(byte[] src, int off, int count) {
        long[] out = new long[count];
        ByteBuffer bb = ByteBuffer.wrap(src, off, count * size).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            int p = off + i * size;
            out[i] = switch (this) {
                case I64 -> bb.getLong(p);
                case I32 -> bb.getInt(p);
                case I16 -> bb.getShort(p);
                case I8 -> src[p];
                case U8 -> src[p] & 0xff;
                case BOOL -> src[p] != 0 ? 1 : 0;
                default -> throw new IllegalStateException(this + " is not an integer type");
            };
        }
        return out;
    }

    /** IEEE 754 binary16 to float32 (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            // Subnormal half: the value is mant * 2^-24, exact in float32.
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
