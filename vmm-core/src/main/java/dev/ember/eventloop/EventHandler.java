package dev.ember.eventloop;

/** Called on the event-loop thread when a registered fd is ready. Must not block. */
@FunctionalInterface
public interface EventHandler {
    /** @param events the epoll event mask (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP) */
    void onEvent(int events);
}
