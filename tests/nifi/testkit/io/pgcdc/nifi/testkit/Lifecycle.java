package io.pgcdc.nifi.testkit;

import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/** Calls a component's lifecycle methods (@OnScheduled, @OnEnabled, ...) as NiFi does: public, any in the hierarchy. */
final class Lifecycle {
    private Lifecycle() {
    }

    static void invoke(final Object component, final Class<? extends Annotation> annotation, final Object context) {
        for (final Method m : component.getClass().getMethods()) {
            if (!m.isAnnotationPresent(annotation)) {
                continue;
            }
            final Class<?>[] types = m.getParameterTypes();
            final Object[] args = new Object[types.length];
            for (int i = 0; i < types.length; i++) {
                if (!types[i].isInstance(context)) {
                    throw new IllegalStateException("@" + annotation.getSimpleName() + " method " + m
                            + " takes a parameter NiFi cannot supply: " + types[i].getName());
                }
                args[i] = context;
            }
            try {
                m.invoke(component, args);
            } catch (final InvocationTargetException e) {
                final Throwable cause = e.getCause();
                if (cause instanceof RuntimeException r) {
                    throw r;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException("@" + annotation.getSimpleName() + " " + m.getName() + " failed: " + cause, cause);
            } catch (final IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
