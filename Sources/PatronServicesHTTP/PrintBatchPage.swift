import PatronServices

/// A print batch as HTML: one notice per A4 page (CSS page breaks), the patron's postal address placed
/// for the window of a DL window envelope (DIN 676: 20 mm from the left, 45 mm from the top, 85 × 45 mm),
/// then the notice: its HTML body when the template has one, else its text.
struct PrintBatchPage {
    let title: String
    let notices: [RenderableNotice]
    let renderer: NoticeRenderer

    func html() -> String {
        var pages: [String] = []
        for notice in notices {
            let body: String
            do {
                let rendered = try renderer.render(notice)
                body = "<h1>\(escape(rendered.subject))</h1>" + (rendered.html ?? "<div class=\"text\">\(escape(rendered.text))</div>")
            } catch {
                body = "<p class=\"error\">This notice cannot be rendered: \(escape("\(error)"))</p>"
            }
            let address = notice.addressLines.map(escape).joined(separator: "<br>")
            pages.append("""
                <section class="notice" data-message-id="\(notice.messageId)">
                <div class="window">\(address)</div>
                <div class="body">\(body)</div>
                </section>
                """)
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>
            @page { size: A4; margin: 0; }
            html, body { margin: 0; padding: 0; font: 11pt/1.4 serif; }
            .notice { position: relative; width: 210mm; height: 296mm; overflow: hidden; break-after: page; page-break-after: always; }
            .notice:last-child { break-after: auto; page-break-after: auto; }
            .window { position: absolute; left: 20mm; top: 45mm; width: 85mm; height: 45mm; overflow: hidden; }
            .body { position: absolute; left: 20mm; right: 20mm; top: 105mm; }
            .body h1 { font-size: 13pt; margin: 0 0 6mm; }
            .text { white-space: pre-wrap; }
            </style></head>
            <body>
            \(pages.isEmpty ? "<p>No print notices for this day.</p>" : pages.joined(separator: "\n"))
            </body></html>
            """
    }

    func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
