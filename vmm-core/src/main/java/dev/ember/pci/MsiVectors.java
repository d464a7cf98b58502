package dev.ember.pci;

/**
 * Where a function's MSI-X messages go: one interrupt per vector, delivered as the message the
 * guest programmed. On KVM each vector is an MSI route (KVM_SET_GSI_ROUTING) with an irqfd, see
 * {@code dev.ember.vm.InterruptLines#msiVectors}.
 *
 * <p>{@link #route} runs when the guest programs or unmasks a vector (configuration or MSI-X
 * table writes: vCPU threads, never a hot path); {@link #signal} runs for every interrupt from
 * any thread and allocates nothing.
 */
public interface MsiVectors {
    /** How many vectors this sink has (the MSI-X table's size). */
    int count();

    /**
     * From now on, {@code vector} raises the message {@code address}/{@code data} (an MSI-X
     * table entry's Message Address and Message Data).
     */
    void route(int vector, long address, int data);

    /**
     * Raises {@code vector}'s message as last routed.
     *
     * @return false when it could not be raised (the eventfd is gone, or no route was ever set):
     *         the caller counts it as a failed interrupt
     */
    boolean signal(int vector);
}
