package dev.ember.devices.mmds;

/**
 * What the stack hands a connection's in-order bytes to: the layer above (HTTP against the
 * metadata store) decides where a request ends and what to answer. The stack knows nothing of
 * the protocol; it only carries bytes. Called on the event-loop thread; must not block.
 */
public interface MmdsRequestHandler {
    /**
     * Looks at the bytes a connection has received and not yet consumed.
     *
     * @param received   the connection's receive buffer, bytes {@code [0, length)} are valid
     * @param bufferFull true when no more bytes fit: the handler must answer now (e.g. "request
     *                   too large") rather than wait for more
     * @return the answer to the first complete request, or null while it is incomplete
     */
    Reply handle(byte[] received, int length, boolean bufferFull);

    /**
     * @param consumed   how many received bytes the request took (its head and body)
     * @param bytes      what to send back; the stack keeps the array, the handler must not reuse it
     * @param closeAfter end the connection (FIN) once the bytes are sent
     */
    record Reply(int consumed, byte[] bytes, boolean closeAfter) {
        public Reply {
            if (consumed < 0 || bytes == null) {
                throw new IllegalArgumentException("consumed must be >= 0 and bytes present");
            }
        }
    }
}
