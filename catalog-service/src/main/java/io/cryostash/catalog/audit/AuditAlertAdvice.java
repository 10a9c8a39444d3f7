// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ModelAttribute;

/** Puts {@code auditAlert} into every page's model: the last chain check when it found a problem, else null. */
@ControllerAdvice(annotations = Controller.class)
public class AuditAlertAdvice {

    private final AuditStatus status;

    public AuditAlertAdvice(AuditStatus status) {
        this.status = status;
    }

    @ModelAttribute("auditAlert")
    public ChainVerification auditAlert() {
        ChainVerification v = status.last();
        return v != null && !v.valid() ? v : null;
    }
}
