// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.user;

import java.util.List;

import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.security.UserTokenService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/users/me/tokens")
@Tag(name = "users", description = "API tokens for people and the CLI")
public class UserTokenController {

    private final UserTokenService tokens;

    public UserTokenController(UserTokenService tokens) {
        this.tokens = tokens;
    }

    public record NewToken(@Size(max = 200) @Pattern(regexp = "[^\\p{Cntrl}]*", message = "must not contain control characters") String label) {
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('VIEWER')")
    @Operation(summary = "Make an API token (csu_..., shown only in this response); Authorization: Bearer with it acts as you, "
            + "with your role at the time of each request")
    public UserTokenService.IssuedToken create(@Valid @RequestBody(required = false) NewToken body) {
        Actor me = Actor.current();
        return tokens.issue(me.name(), body == null ? null : body.label(), me);
    }

    @GetMapping
    @PreAuthorize("hasRole('VIEWER')")
    public List<UserTokenService.TokenInfo> list() {
        return tokens.list(Actor.current().name());
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('VIEWER')")
    public void revoke(@PathVariable long id) {
        tokens.revoke(Actor.current().name(), id);
    }
}
