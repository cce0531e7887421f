package dev.petrel.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.petrel.api.kernel.RopeParams;
import org.junit.jupiter.api.Test;

/** The host-side constants of the rope kernel. */
class CudaRopeTest {

    @Test
    void plainRopeHasUnitMagnitude() {
        CudaRope c = CudaRope.of(RopeParams.of(RopeParams.Mode.NEOX, 128, 1_000_000f));
        assertEquals((float) Math.pow(1_000_000, -2.0 / 128), c.thetaScale(), 1e-9f);
        assertEquals(1f, c.magnitude());
    }

    @Test
    void yarnOfDeepSeek() {
        // DeepSeek-V2-Lite: 64 rotated dims, factor 40 over an original context of 4096
        RopeParams params = new RopeParams(RopeParams.Mode.NORMAL, 64, 10000f, 1f / 40, 4096, 1f, 1f, 32f, 1f);
        CudaRope c = CudaRope.of(params);
        // 64 ln(4096 / (2 pi r)) / (2 ln 10000): 10.47 for r = 32 (floor 10), 22.51 for r = 1 (ceil 23)
        assertEquals(10f, c.correctionLow());
        assertEquals(23f, c.correctionHigh());
        assertEquals(1 + 0.1 * Math.log(40), c.magnitude(), 1e-6);
        assertEquals((float) Math.pow(10000, -2.0 / 64), c.thetaScale(), 1e-9f);
    }

    @Test
    void yarnRangeIsClampedToThePairs() {
        // a tiny original context puts the ramp below 0; a huge one past the last dimension
        CudaRope low = CudaRope.of(new RopeParams(RopeParams.Mode.NORMAL, 64, 10000f, 0.25f, 1, 1f, 1f, 32f, 1f));
        assertEquals(0f, low.correctionLow());
        CudaRope high = CudaRope.of(new RopeParams(RopeParams.Mode.NORMAL, 64, 10000f, 0.25f, 1 << 30, 1f, 1f, 32f, 1f));
        assertEquals(63f, high.correctionHigh());
    }
}
