// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.web;

import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Runs a form action; a refused one comes back to the page as a flash message instead of an error page. */
public final class WebErrors {

    private WebErrors() {
    }

    @FunctionalInterface
    public interface Action {
        String run();
    }

    public static boolean attempt(RedirectAttributes flash, Action action) {
        try {
            String ok = action.run();
            if (ok != null) flash.addFlashAttribute("message", ok);
            return true;
        } catch (InvalidRequestException e) {
            flash.addFlashAttribute("error", String.join("; ", e.problems()));
        } catch (ConflictException | NotFoundException e) {
            flash.addFlashAttribute("error", e.getMessage());
        } catch (org.springframework.dao.DataIntegrityViolationException e) {
            flash.addFlashAttribute("error", "Refused by the database: the change conflicts with stored data");
        }
        return false;
    }
}
