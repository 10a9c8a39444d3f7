// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.user;

import java.util.List;

import io.cryostash.catalog.system.NotFoundException;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/users")
@Tag(name = "users", description = "People's accounts (administrators only)")
@PreAuthorize("hasRole('ADMIN')")
public class UserController {

    private final UserRepository users;
    private final UserService service;

    public UserController(UserRepository users, UserService service) {
        this.users = users;
        this.service = service;
    }

    public record NewUser(
            @NotNull @Pattern(regexp = "^[A-Za-z0-9._@-]{1,64}$") String username,
            @NotNull @Size(min = 10, max = 200) String password,
            @NotNull Role role) {
    }

    public record UserChange(Role role, Boolean enabled, @Size(min = 10, max = 200) String password) {
    }

    @GetMapping
    public List<User> list() {
        return users.findAll();
    }

    @GetMapping("/{username}")
    public User get(@PathVariable String username) {
        return users.find(username).orElseThrow(() -> new NotFoundException("user", username));
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    public User create(@Valid @RequestBody NewUser u) {
        return service.create(u.username(), u.password(), u.role());
    }

    @PatchMapping("/{username}")
    public User update(@PathVariable String username, @Valid @RequestBody UserChange c) {
        return service.update(username, c.role(), c.enabled(), c.password());
    }
}
