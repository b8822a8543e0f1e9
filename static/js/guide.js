// Live demonstrations for the guide pages. Plain DOM, no framework; results
// are written with textContent so nothing from a response becomes markup.
"use strict";

function say(output, lines) {
  output.replaceChildren(...lines.map((line) => {
    const p = document.createElement("p");
    p.textContent = line;
    return p;
  }));
}

const storageButton = document.getElementById("storage-demo");
if (storageButton) {
  storageButton.addEventListener("click", () => {
    localStorage.setItem("pretend-token", "eyJhbGciOiJIUzI1NiJ9.pretend.token");
    const readBack = localStorage.getItem("pretend-token");
    const visible = document.cookie ? document.cookie.split("; ").map((c) => c.split("=")[0]) : [];
    say(document.getElementById("storage-result"), [
      `localStorage: this script wrote a token and read it straight back: "${readBack}".`,
      `document.cookie: this script can see ${visible.length} cookie(s): ${visible.join(", ") || "none"}.`,
      "Your session and JWT cookies are HttpOnly, so they are not in that list, although the browser sends them.",
    ]);
    localStorage.removeItem("pretend-token");
  });
}

const forgeryButton = document.getElementById("forgery-demo");
if (forgeryButton) {
  forgeryButton.addEventListener("click", async () => {
    const lines = [];
    for (const id of ["alg-none", "tampered"]) {
      const token = document.getElementById(id).textContent.trim();
      const response = await fetch("/api/jwt/stateless/me/", {
        headers: { Authorization: `Bearer ${token}` },
      });
      const body = await response.json();
      lines.push(`${id}: ${response.status} ${body.code}: ${body.detail}`);
    }
    say(document.getElementById("forgery-result"), lines);
  });
}
