//! Driving the web app over real HTTP without a browser: a client that keeps the session
//! cookie, sees redirects (it does not follow them), and posts forms as a browser does.

use anyhow::{Context, Result};
use reqwest::header;

/// An HTTP answer from the web app.
#[derive(Debug, Clone)]
pub struct Page {
    /// The status code.
    pub status: u16,
    /// The body (HTML).
    pub body: String,
    /// The `Location` of a redirect.
    pub location: Option<String>,
    /// The `Set-Cookie` values.
    pub cookies: Vec<String>,
}

impl Page {
    /// The body's text without tags, with runs of white space made one space.
    pub fn text(&self) -> String {
        text_of(&self.body)
    }

    /// The value of the first form input named `name` (hidden or not).
    pub fn input(&self, name: &str) -> Option<String> {
        input_value(&self.body, name)
    }
}

/// A browser-like client of one server, signed in with `token` (or not).
pub struct WebClient {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl WebClient {
    /// A client of the server at `base` (`http://addr`), signed in with `token` if given.
    pub fn new(base: &str, token: Option<&str>) -> Result<WebClient> {
        Ok(WebClient {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(30))
                .build()?,
            base: base.trim_end_matches('/').to_string(),
            cookie: token.map(|t| format!("cohub_session={t}")),
        })
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Result<Page> {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        read(req.send().await.with_context(|| format!("GET {path}"))?).await
    }

    /// POST a form to `path`, as a page of this site would send it.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Result<Page> {
        self.post_with(path, fields, &[]).await
    }

    /// POST a form to `path` with extra headers (e.g. another site's `Origin`).
    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Result<Page> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded_pairs(fields));
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        read(req.send().await.with_context(|| format!("POST {path}"))?).await
    }
}

async fn read(resp: reqwest::Response) -> Result<Page> {
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let cookies = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    Ok(Page {
        status,
        body: resp.text().await?,
        location,
        cookies,
    })
}

fn serde_urlencoded_pairs(fields: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// HTML without tags and entities decoded for `&amp; &lt; &gt; &quot; &#39;`, white space
/// collapsed.
pub fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `value` of the first `<input ... name="NAME" ... value="...">`.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let at = html.find(&needle)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let v = tag.split("value=\"").nth(1)?;
    Some(
        v.split('"')
            .next()?
            .replace("&amp;", "&")
            .replace("&quot;", "\""),
    )
}
