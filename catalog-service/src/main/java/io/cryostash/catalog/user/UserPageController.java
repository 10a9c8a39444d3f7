// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.user;

import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.web.WebErrors;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.*;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

@Controller
@PreAuthorize("hasRole('ADMIN')")
public class UserPageController {

    private final UserRepository users;
    private final UserService service;

    public UserPageController(UserRepository users, UserService service) {
        this.users = users;
        this.service = service;
    }

    @GetMapping("/users")
    public String list(Model model) {
        model.addAttribute("users", users.findAll());
        model.addAttribute("roles", Role.values());
        return "users";
    }

    @PostMapping("/users")
    public String create(@RequestParam String username, @RequestParam String password, @RequestParam Role role,
                         RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            if (!username.matches("^[A-Za-z0-9._@-]{1,64}$")) throw new InvalidRequestException("username: letters, digits, . _ @ - (1 to 64)");
            if (password.length() < 10) throw new InvalidRequestException("password: at least 10 characters");
            service.create(username, password, role);
            return "User " + username + " created";
        });
        return "redirect:/users";
    }

    @PostMapping("/users/{username}")
    public String update(@PathVariable String username, @RequestParam(required = false) Role role,
                         @RequestParam(required = false) Boolean enabled, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            service.update(username, role, enabled, null);
            return "User " + username + " updated";
        });
        return "redirect:/users";
    }
}
